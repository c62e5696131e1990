/** What the worker logs when a shutdown outlives its timeout: operators alert on these, tests match them. */
export const shutdownLogMessages = {
  callsAborted: 'calls still in flight at shutdown; aborting them',
  stepsStillRunning: 'steps still running after their calls were aborted',
} as const;

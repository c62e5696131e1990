/** Where the docs page is served. */
export const docsPagePath = '/docs';

/**
 * Whether a route is one of the docs page's own (its scripts, styles and a copy of the document): served,
 * but not an operation of the API, so not in the document.
 */
export function isDocsPageAsset(url: string): boolean {
  return url.startsWith(`${docsPagePath}/`);
}

/** Where the dashboard is served. */
export const dashboardPath = '/dashboard';

/**
 * Whether a route is one of the dashboard's own (its pages, their files, the login, bull-board): served to
 * browsers, but not an operation of the API, so not in the document. The data its pages show comes from
 * the API's operations.
 */
export function isDashboardRoute(url: string): boolean {
  return url.startsWith(`${dashboardPath}/`);
}

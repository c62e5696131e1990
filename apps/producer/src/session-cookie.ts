/** Name of the cookie that carries a dashboard session (see {@link DashboardSessions}). */
export const sessionCookieName = 'aiqum_jobs_session';

/**
 * The `Set-Cookie` value of a session: HttpOnly (no script reads it), SameSite=Strict (no other site's
 * page sends it), Secure when the browser reached us over TLS. An empty value with max age 0 removes it.
 */
export function sessionCookie(value: string, options: { maxAgeSeconds: number; secure: boolean }): string {
  const attributes = [
    `${sessionCookieName}=${value}`,
    'Path=/',
    `Max-Age=${options.maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (options.secure) attributes.push('Secure');
  return attributes.join('; ');
}

/** The session cookie's value in a `Cookie` header, if there is one. */
export function readSessionCookie(header: string | undefined): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const equals = pair.indexOf('=');
    if (equals > 0 && pair.slice(0, equals).trim() === sessionCookieName)
      return pair.slice(equals + 1).trim();
  }
  return undefined;
}

import { apiPathProblem } from '@aiqum-jobs/contracts';
import { AiqumInvalidRequestError, AiqumResponseValidationError } from './errors.js';

/**
 * Checks that `path` is a relative path under `/api/` that cannot escape it, and returns it unchanged.
 * The query string is kept as given. Throws `AiqumInvalidRequestError` (nothing was sent) otherwise.
 */
export function parseApiPath(path: string): string {
  const problem = apiPathProblem(path);
  if (problem !== undefined) throw new AiqumInvalidRequestError(problem);
  return path;
}

/**
 * Turns a link from an AIQUM answer (`_links.*.href`) into a path this client may request. A relative link
 * must pass `parseApiPath`; an absolute one is accepted only on the client's own origin, so a server (or a
 * proxy rewriting links) can never send the client, and its credentials, to another host.
 */
export function resolveServerLink(
  href: string,
  origin: string,
  context: { method: string; path: string; status: number; ambiguous: boolean },
): string {
  let path = href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) {
    let url: URL;
    try {
      url = new URL(href);
    } catch {
      throw new AiqumResponseValidationError(`link ${JSON.stringify(href)} is not a valid URL`, context);
    }
    if (url.origin !== origin) {
      throw new AiqumResponseValidationError(
        `link ${JSON.stringify(href)} points outside ${origin}; refusing to follow it`,
        context,
      );
    }
    path = `${url.pathname}${url.search}`;
  }
  try {
    return parseApiPath(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AiqumResponseValidationError(`server sent an unusable link: ${reason}`, context);
  }
}

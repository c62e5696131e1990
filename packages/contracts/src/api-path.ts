/** Longer paths are not something AIQUM serves; refusing them keeps error messages readable. */
const maxPathLength = 8_192;

// Raw control characters, space, backslash and `#` could split a request line, smuggle a header, or be
// read differently by a proxy and by AIQUM. Anything outside visible ASCII must arrive percent-encoded:
// undici refuses characters above U+00FF and sends U+0080-U+00FF as single Latin-1 bytes, never as UTF-8.
const forbiddenRaw = /[^\x21-\x7e]|[\\#]/;
// Encoded slashes and control characters in the path part let a segment turn into two after decoding.
const forbiddenEncodedInPath = /%(?:2f|5c|[01][0-9a-f]|7f)/i;
const badPercentEncoding = /%(?![0-9a-f]{2})/i;
// Overlong UTF-8 (`%c0%ae` is a dot): lenient decoders, old Java ones among them, read it as the ASCII byte.
const overlongUtf8 = /%c[01]|%e0%[89]|%f0%8/i;
// A proxy and a server decoding one after the other see a segment decoded more than once.
const maxDecodings = 3;

/** Thrown inside the checks below and caught by `apiPathProblem`: the first problem found ends the check. */
class PathProblem extends Error {}

function reject(path: string, reason: string): never {
  throw new PathProblem(`invalid AIQUM path ${JSON.stringify(path)}: ${reason}`);
}

/**
 * Why `path` is not a relative path under `/api/` that cannot escape it, or `undefined` when it is one.
 * The query string is not checked beyond its characters. Pure, so request schemas and the client share it.
 */
export function apiPathProblem(path: string): string | undefined {
  try {
    checkApiPath(path);
    return undefined;
  } catch (error) {
    if (error instanceof PathProblem) return error.message;
    throw error;
  }
}

function checkApiPath(path: string): void {
  if (path.length > maxPathLength) reject(path.slice(0, 80), `longer than ${maxPathLength} characters`);
  if (forbiddenRaw.test(path))
    reject(
      path,
      'contains a control character, space, backslash, # or non-ASCII character (percent-encode it)',
    );
  if (badPercentEncoding.test(path)) reject(path, 'contains a malformed percent-encoding');
  if (!path.startsWith('/')) reject(path, 'must be a relative path starting with /api/');
  if (path.startsWith('//')) reject(path, 'must not name a host');
  const queryStart = path.indexOf('?');
  const pathPart = queryStart === -1 ? path : path.slice(0, queryStart);
  if (!/^\/api\/[^/]/.test(pathPart)) reject(path, 'must start with /api/');
  if (forbiddenEncodedInPath.test(pathPart)) {
    reject(path, 'contains an encoded slash, backslash or control character');
  }
  if (pathPart.includes('//')) reject(path, 'contains an empty segment');
  if (overlongUtf8.test(pathPart)) reject(path, 'contains an overlong UTF-8 encoding');
  for (const segment of pathPart.split('/')) checkSegment(path, segment);
}

/**
 * Refuses a segment that a server could read as a step up or aside however often it decodes it: a `;`
 * parameter (Java servers drop `/..;/` to `/../` after routing), `.` or `..` (or only dots and spaces, which
 * Windows trims), an encoded slash or backslash. NFKC folds full-width look-alikes into ASCII.
 */
function checkSegment(path: string, segment: string): void {
  let decoded = segment;
  for (let decodings = 0; ; decodings += 1) {
    if (decoded.includes(';')) reject(path, 'contains a ; (path parameter) in a segment');
    if (/^[\s.]+$/.test(decoded)) reject(path, 'contains a . or .. segment');
    if (/[/\\]/.test(decoded)) reject(path, 'contains an encoded slash or backslash');
    let next: string;
    try {
      next = decodeURIComponent(decoded).normalize('NFKC');
    } catch {
      // Not UTF-8 (or a literal % left by an earlier decoding): no server decodes it to ASCII.
      return;
    }
    if (next === decoded) return;
    if (decodings === maxDecodings) reject(path, `is percent-encoded more than ${maxDecodings} times`);
    decoded = next;
  }
}

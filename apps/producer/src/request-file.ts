/**
 * Reads the requests of `aiqum-jobs submit FILE`: a JSON array of requests, a JSON batch object
 * (`{ "requests": [...], "metadata": {...} }`), or NDJSON with one request per line. The API validates
 * the requests themselves; this only finds them.
 */
export function parseRequestFile(text: string): { requests: unknown[]; metadata?: unknown } {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('the file holds no requests');
  const whole = tryParse(trimmed);
  if (Array.isArray(whole)) return { requests: whole };
  if (isBatchObject(whole)) return whole;
  const requests: unknown[] = [];
  trimmed.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const parsed = tryParse(line);
    if (parsed === undefined) throw new Error(`line ${index + 1} is not JSON`);
    requests.push(parsed);
  });
  return { requests };
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isBatchObject(value: unknown): value is { requests: unknown[]; metadata?: unknown } {
  return (
    typeof value === 'object' && value !== null && Array.isArray((value as { requests?: unknown }).requests)
  );
}

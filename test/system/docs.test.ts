import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '@aiqum-jobs/test-support';
import { describe, expect, it } from 'vitest';

/**
 * The documentation holds together: a short front page, links and anchors that lead somewhere, alert rules
 * that Prometheus accepts and that only use metrics the code serves.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const alertRules = join(root, 'docs/alerts/aiqum-jobs.rules.yml');

function markdownFiles(): string[] {
  const inDir = (dir: string) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir))
          .filter((name) => name.endsWith('.md'))
          .map((name) => join(dir, name))
      : [];
  const readmes = (dir: string) =>
    readdirSync(join(root, dir))
      .map((name) => join(dir, name, 'README.md'))
      .filter((path) => existsSync(join(root, path)));
  return ['README.md', ...inDir('docs'), 'apps/README.md', ...readmes('apps'), ...readmes('packages')];
}

/** The lines of a Markdown text outside fenced code blocks: their headings and links are real ones. */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** GitHub's anchors of a document's headings: lower case, punctuation dropped, spaces as `-`, repeats numbered. */
function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every link target of a Markdown text (images included), outside code. */
function linkTargets(text: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(text)) {
    const withoutCode = line.replace(/`[^`]*`/g, '');
    for (const match of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) targets.push(match[1] ?? '');
  }
  return targets;
}

/** What is wrong with one relative link of `file`, or undefined when it resolves. */
function brokenLink(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:: not this repository's
  const [path = '', anchor] = target.split('#');
  const linked =
    path === '' ? join(root, file) : resolve(dirname(join(root, file)), decodeURIComponent(path));
  if (!existsSync(linked)) return `${file}: ${target}: no file ${relative(root, linked)}`;
  if (anchor === undefined || statSync(linked).isDirectory()) return undefined;
  if (!linked.endsWith('.md')) return `${file}: ${target}: an anchor into a file that is not Markdown`;
  const anchors = headingAnchors(readFileSync(linked, 'utf8'));
  return anchors.has(anchor)
    ? undefined
    : `${file}: ${target}: no heading #${anchor} in ${relative(root, linked)}`;
}

describe('the documentation', () => {
  it('has a README front page of at most 200 lines whose test command is the one CI runs', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(200);
    // `.ci/run` runs the command the README gives.
    const ciCommands = readFileSync(join(root, '.ci/run'), 'utf8')
      .split('\n')
      .filter((line) => /^npm (test|run)\b/.test(line));
    expect(ciCommands).toEqual(['npm test']);
    expect(readme).toMatch(/^npm test\s+# lint, type check, every test$/m);
  });

  it('links only to files that exist and to headings they have', () => {
    const files = markdownFiles();
    expect(files).toEqual(
      expect.arrayContaining(['README.md', 'docs/CONFIGURATION.md', 'apps/producer/README.md']),
    );
    const broken = files.flatMap((file) =>
      linkTargets(readFileSync(join(root, file), 'utf8')).flatMap((target) => brokenLink(file, target) ?? []),
    );
    expect(broken).toEqual([]);
  });

  it('has alert rules that promtool accepts', async () => {
    const checked = await runCommand({ command: 'promtool', args: ['check', 'rules', alertRules] });
    expect(checked.code, `${checked.stdout}${checked.stderr}`).toBe(0);
    expect(checked.stdout).toMatch(/SUCCESS: [1-9]\d* rules found/);
  });

  it('has alert rules that use only metrics the code serves', () => {
    const used = new Set(readFileSync(alertRules, 'utf8').match(/\baiqum_jobs_[a-z_]+/g) ?? []);
    expect(used.size).toBeGreaterThan(0);
    const sources = ['packages', 'apps']
      .flatMap((dir) => readdirSync(join(root, dir)).map((name) => join(root, dir, name, 'src')))
      .filter((dir) => existsSync(dir))
      .flatMap((dir) =>
        readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => join(dir, name)),
      )
      .filter((file) => file.endsWith('.ts'))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    // A histogram's series are its name with _bucket, _sum or _count.
    const unknown = [...used].filter((metric) => {
      const registered = metric.replace(/_(bucket|sum|count)$/, '');
      return !sources.includes(`name: '${metric}'`) && !sources.includes(`name: '${registered}'`);
    });
    expect(unknown).toEqual([]);
  });
});

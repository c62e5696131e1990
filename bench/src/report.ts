import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo } from './machine-info.js';

export type Cell = string | number;

export interface Table {
  title: string;
  header: string[];
  rows: Cell[][];
}

/** One of the targets (P1–P6) and whether this run met it. */
export interface TargetCheck {
  id: string;
  target: string;
  measured: string;
  met: boolean;
}

/** What a scenario hands back: tables to print, targets, and every figure for the JSON file. */
export interface ScenarioOutcome {
  settings: Record<string, unknown>;
  results: Record<string, unknown>;
  tables: Table[];
  targets: TargetCheck[];
  /** The few figures the one-line summary shows. */
  summary: Record<string, number | string | boolean>;
}

export interface ScenarioReport extends ScenarioOutcome {
  scenario: string;
  quick: boolean;
  startedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
}

function formatCell(cell: Cell): string {
  if (typeof cell === 'string') return cell;
  if (Number.isInteger(cell)) return cell.toLocaleString('en-US');
  return cell.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

export function markdownTable(table: Table): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [
    `### ${table.title}`,
    '',
    line(table.header),
    line(table.header.map(() => '---')),
    ...table.rows.map((row) => line(row.map(formatCell))),
  ].join('\n');
}

export function markdownReport(report: ScenarioReport): string {
  const { machine } = report;
  const parts = [
    `## ${report.scenario}${report.quick ? ' (--quick)' : ''}: ${report.startedAt}, ${report.durationSeconds} s`,
    '',
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${Math.round(machine.memoryBytes / 2 ** 30)} GiB, Node ${machine.node}, ` +
      `Redis ${machine.redis}${machine.redisOwned ? ' (the bench’s own)' : ' (REDIS_URL)'}`,
    '',
    ...report.tables.map((table) => `${markdownTable(table)}\n`),
  ];
  if (report.targets.length > 0) {
    parts.push(
      markdownTable({
        title: 'Targets',
        header: ['target', 'goal', 'measured', 'status'],
        rows: report.targets.map((check) => [
          check.id,
          check.target,
          check.measured,
          check.met ? 'met' : 'missed',
        ]),
      }),
    );
  }
  return parts.join('\n');
}

/** Writes the report as `<dir>/<scenario>-<ISO time>.json` and returns the path. */
export function writeReport(dir: string, report: ScenarioReport): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${report.scenario}-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

// CPU time of a serving process, from /proc/<pid>/stat: user + system time of all its threads
// (utime and stime, fields 14 and 15), in clock ticks of `getconf CLK_TCK`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** utime + stime of a /proc/<pid>/stat line, in clock ticks. The command name (field 2) may hold spaces and parentheses. */
export function parseCpuTicks(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  // After the name: field 3 (state) is index 0, so utime (14) and stime (15) are indexes 11 and 12.
  const fields = stat.slice(close + 2).trim().split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error(`no utime/stime in: ${stat.slice(0, 80)}`);
  return utime + stime;
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on Linux almost everywhere). */
export function clockTicksPerSecond(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  if (!(ticksPerSecond > 0)) throw new Error('getconf CLK_TCK gave no number');
  return ticksPerSecond;
}

/** The process's CPU seconds so far (user + system). */
export function cpuSeconds(pid: number): number {
  return parseCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / clockTicksPerSecond();
}

/** CPU µs per request: the CPU seconds spent over a scenario divided by the requests it served. */
export function cpuUsecPerRequest(cpuSecondsSpent: number, requests: number): number {
  return requests > 0 ? (cpuSecondsSpent * 1e6) / requests : 0;
}

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clockTicksPerSecond, cpuSeconds, cpuUsecPerRequest, parseCpuTicks } from './bench/cpu.js';
import { usecPerCall } from './bench/load.js';

describe('bench: CPU time from /proc/<pid>/stat', () => {
  // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
  const line = (name: string, utime: number, stime: number) => `4242 (${name}) S 1 4242 4242 0 -1 4194560 1234 0 5 0 ${utime} ${stime} 77 88 20 0 11 0 12345 1000000 2000`;

  it('adds utime and stime (fields 14 and 15), not the children’s times', () => {
    expect(parseCpuTicks(line('node', 150, 25))).toBe(175);
  });

  it('reads past a command name holding spaces and parentheses', () => {
    expect(parseCpuTicks(line('node (worker) x', 3, 4))).toBe(7);
    expect(parseCpuTicks(line(') 9 9', 10, 20))).toBe(30);
  });

  it('refuses a line that is not a stat line', () => {
    expect(() => parseCpuTicks('no parentheses here')).toThrow(/not a \/proc/);
    expect(() => parseCpuTicks('1 (x) S 1 2')).toThrow(/no utime/);
  });

  it('reads this process’s own CPU time, which grows as it works', () => {
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
    expect(parseCpuTicks(readFileSync('/proc/self/stat', 'utf8'))).toBeGreaterThanOrEqual(0);
    // On a loaded machine a second of wall time may bring little CPU: spin until it shows (or give up).
    const before = cpuSeconds(process.pid);
    const giveUp = performance.now() + 10_000;
    let spin = 0;
    while (cpuSeconds(process.pid) - before < 0.05 && performance.now() < giveUp) for (let i = 0; i < 100_000; i += 1) spin += Math.sqrt(i);
    expect(spin).toBeGreaterThan(0);
    expect(cpuSeconds(process.pid) - before).toBeGreaterThanOrEqual(0.05);
  });

  it('divides CPU seconds by the requests served, in µs; 0 when none was served', () => {
    expect(cpuUsecPerRequest(2, 10_000)).toBe(200);
    expect(cpuUsecPerRequest(1, 0)).toBe(0);
  });
});

describe('bench: INFO commandstats', () => {
  const stats = ['# Commandstats', 'cmdstat_evalsha:calls=300,usec=9150,usec_per_call=30.50,rejected_calls=0,failed_calls=0', 'cmdstat_info:calls=2,usec=40,usec_per_call=20.00', ''].join('\r\n');

  it('reads usec_per_call of the command asked for, and 0 for one that did not run', () => {
    expect(usecPerCall(stats, 'evalsha')).toBe(30.5);
    expect(usecPerCall(stats, 'info')).toBe(20);
    expect(usecPerCall(stats, 'eval')).toBe(0);
  });
});

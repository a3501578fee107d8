import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { alertRules, type AlertRule } from '../shared/deploy/infra/alert-rules.js';
import { rulesFileName } from '../shared/deploy/infra/prometheus.js';
import { series } from '../shared/metrics/catalogue.js';
import { repoRoot } from './support/manifests.js';
import { promtool, shippedPrometheusFiles } from './support/prometheus.js';

/**
 * The alert rules of SPEC §12 as shipped (the committed knative/infra/prometheus.yaml), checked by
 * Debian's promtool: `check rules`, and `test rules` with synthetic series on which each alert
 * fires, and others on which it stays quiet.
 */

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-rules-'));
  dirs.push(dir);
  return dir;
}

const shipped = shippedPrometheusFiles();
const rulesText = shipped[rulesFileName] ?? '';
const shippedRules = (parseYaml(rulesText) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((group) => group.rules);

interface Case {
  alert: string;
  why: string;
  series: Record<string, string>;
  evalTime: string;
  /** The labels of each alert expected firing at evalTime (beyond alertname and severity); [] for quiet. */
  fires: Record<string, string>[];
}

const requests = (status: string) => `keyward_http_requests_total{function="data",route="getItem",method="GET",status="${status}"}`;

/** Each alert: what makes it fire, and what it must not fire on. Series are sampled every minute. */
const cases: Case[] = [
  { alert: 'KeywardAuditBacklogGrowing', why: 'growing by 200 a minute for 30 minutes', series: { 'keyward_audit_backlog_events{function="audit-offload"}': '0+200x40' }, evalTime: '30m', fires: [{}] },
  { alert: 'KeywardAuditBacklogGrowing', why: 'large but flat', series: { 'keyward_audit_backlog_events{function="audit-offload"}': '5000x40' }, evalTime: '30m', fires: [] },
  { alert: 'KeywardAuditBacklogGrowing', why: 'growing but small', series: { 'keyward_audit_backlog_events{function="audit-offload"}': '0+10x40' }, evalTime: '30m', fires: [] },
  {
    alert: 'KeywardAuditBacklogGrowing',
    why: 'one tenant growing while the total (no tenant label) is flat',
    series: { 'keyward_audit_backlog_events{function="audit-offload",tenant="acme"}': '0+200x40', 'keyward_audit_backlog_events{function="audit-offload"}': '500x40' },
    evalTime: '30m',
    fires: [],
  },
  { alert: 'KeywardAuditOldestPendingTooOld', why: 'an event waiting ever longer', series: { keyward_audit_oldest_pending_age_seconds: '0+60x20' }, evalTime: '15m', fires: [{}] },
  { alert: 'KeywardAuditOldestPendingTooOld', why: 'runs keep the oldest event young', series: { keyward_audit_oldest_pending_age_seconds: '30x20' }, evalTime: '15m', fires: [] },
  { alert: 'KeywardAuditDeadLetters', why: 'two dead letters from minute 3', series: { keyward_audit_dead_letter_events: '0 0 0 2x10' }, evalTime: '10m', fires: [{}] },
  { alert: 'KeywardAuditDeadLetters', why: 'none', series: { keyward_audit_dead_letter_events: '0x20' }, evalTime: '15m', fires: [] },
  { alert: 'KeywardAuditOffloadNotRunning', why: 'a run every minute', series: { keyward_audit_offload_last_run_timestamp_seconds: '0+60x30' }, evalTime: '25m', fires: [] },
  { alert: 'KeywardAuditOffloadNotRunning', why: 'the last run at minute 5', series: { keyward_audit_offload_last_run_timestamp_seconds: '0+60x5 300x25' }, evalTime: '20m', fires: [{}] },
  { alert: 'KeywardAuditOffloadNotRunning', why: 'no audit-offload scraped at all', series: { 'up{job="other"}': '1x30' }, evalTime: '20m', fires: [{}] },
  { alert: 'KeywardHighErrorRate', why: '5 of 105 requests a minute fail', series: { [requests('200')]: '0+100x20', [requests('503')]: '0+5x20' }, evalTime: '15m', fires: [{ function: 'data' }] },
  { alert: 'KeywardHighErrorRate', why: '1 of 201 requests a minute fails (0.5 %)', series: { [requests('200')]: '0+200x20', [requests('503')]: '0+1x20' }, evalTime: '15m', fires: [] },
  { alert: 'KeywardHighErrorRate', why: 'many 4xx, no 5xx', series: { [requests('200')]: '0+100x20', [requests('404')]: '0+50x20' }, evalTime: '15m', fires: [] },
  { alert: 'KeywardRedisUnavailable', why: 'connection errors every minute', series: { 'keyward_redis_errors_total{function="data",kind="connection"}': '0+3x10' }, evalTime: '8m', fires: [{ function: 'data' }] },
  { alert: 'KeywardRedisUnavailable', why: 'one blip (a failover) that stops', series: { 'keyward_redis_errors_total{function="data",kind="timeout"}': '0 0 0 5x10' }, evalTime: '6m', fires: [] },
  { alert: 'KeywardRedisUnavailable', why: 'script errors are bugs, not Redis down', series: { 'keyward_redis_errors_total{function="data",kind="script"}': '0+3x10' }, evalTime: '8m', fires: [] },
];

function ruleOf(alert: string): AlertRule {
  const rule = shippedRules.find((candidate) => candidate.alert === alert);
  if (!rule) throw new Error(`no rule ${alert}`);
  return rule;
}

/** A promtool unit-test file for the cases, reading the rules file beside it. */
function unitTests(selected: readonly Case[]): string {
  return stringify({
    rule_files: [rulesFileName],
    evaluation_interval: '1m',
    tests: selected.map((test) => ({
      name: `${test.alert}: ${test.why}`,
      interval: '1m',
      input_series: Object.entries(test.series).map(([series, values]) => ({ series, values })),
      alert_rule_test: [
        {
          eval_time: test.evalTime,
          alertname: test.alert,
          exp_alerts: test.fires.map((labels) => ({ exp_labels: { ...ruleOf(test.alert).labels, ...labels }, exp_annotations: ruleOf(test.alert).annotations })),
        },
      ],
    })),
  });
}

function runUnitTests(selected: readonly Case[], rules = rulesText) {
  const dir = tempDir();
  writeFileSync(join(dir, rulesFileName), rules);
  writeFileSync(join(dir, 'tests.yaml'), unitTests(selected));
  return promtool(['test', 'rules', join(dir, 'tests.yaml')]);
}

describe('alert rules (SPEC §12), checked by promtool', () => {
  it('are the six of SPEC §12, in the rules file that the shipped prometheus.yml loads from beside it', () => {
    expect(parseYaml(shipped['prometheus.yml'] ?? '').rule_files).toEqual([rulesFileName]);
    expect(shippedRules.map((rule) => rule.alert)).toEqual([
      'KeywardAuditBacklogGrowing',
      'KeywardAuditOldestPendingTooOld',
      'KeywardAuditDeadLetters',
      'KeywardAuditOffloadNotRunning',
      'KeywardHighErrorRate',
      'KeywardRedisUnavailable',
    ]);
    expect(shippedRules).toEqual(alertRules);
  });

  it("each alert's runbook is a heading of the README (what it means, what to do), and every series of the catalogue is in its table", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    for (const rule of alertRules) {
      expect(rule.annotations.runbook).toBe(`README.md#${rule.alert.toLowerCase()}`);
      expect(readme, rule.alert).toMatch(new RegExp(`^#### ${rule.alert}\\n\\n\\S`, 'm'));
    }
    for (const { name } of Object.values(series)) expect(readme, name).toContain(`| \`${name}\` |`);
  });

  it('promtool check rules accepts the file; a broken expression is refused', () => {
    const dir = tempDir();
    writeFileSync(join(dir, rulesFileName), rulesText);
    const checked = promtool(['check', 'rules', join(dir, rulesFileName)]);
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toContain(`SUCCESS: ${alertRules.length} rules found`);

    writeFileSync(join(dir, 'broken.yaml'), rulesText.replace('> 300', '>> 300'));
    expect(promtool(['check', 'rules', join(dir, 'broken.yaml')]).status).not.toBe(0);
  });

  it('every alert has a case where it fires and one where it stays quiet', () => {
    for (const rule of alertRules) {
      expect(cases.some((test) => test.alert === rule.alert && test.fires.length > 0), `${rule.alert} fires`).toBe(true);
      expect(cases.some((test) => test.alert === rule.alert && test.fires.length === 0), `${rule.alert} quiet`).toBe(true);
    }
  });

  it('promtool test rules: each alert fires on its synthetic series and stays quiet on the others', () => {
    const result = runUnitTests(cases);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('SUCCESS');
  });

  it('the unit tests can fail: a threshold moved (5xx above 10 %) no longer fires on 5 of 105', () => {
    const loosened = rulesText.replace('> 0.01', '> 0.1');
    expect(loosened).not.toBe(rulesText);
    const result = runUnitTests(cases.filter((test) => test.alert === 'KeywardHighErrorRate'), loosened);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('KeywardHighErrorRate');
  });
});

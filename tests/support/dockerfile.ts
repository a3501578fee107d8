/** A Dockerfile read as instructions, stage by stage: enough to check the template's image. */
export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  /** The image or earlier stage it starts from. */
  base: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line.startsWith('#') || line === '')) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    lines.push(`${pending}${line}`.trim());
    pending = '';
  }
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const words = rest.filter((word) => !word.startsWith('--'));
      const asIndex = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({ base: words[0] ?? '', name: asIndex === -1 ? undefined : words[asIndex + 1], instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

/** `ENV a="1" b=2` (and the legacy `ENV a 1`) as a map. */
export function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  const pairs = [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)];
  if (pairs.length === 0) {
    const [name, ...value] = args.split(/\s+/);
    if (name) env[name] = value.join(' ');
    return env;
  }
  for (const [, name, value = ''] of pairs) if (name) env[name] = value.startsWith('"') ? value.slice(1, -1) : value;
  return env;
}

/** The environment the final stage's image carries. */
export function finalEnv(stages: Stage[]): Record<string, string> {
  const last = stages.at(-1);
  return Object.assign({}, ...(last?.instructions.filter((i) => i.keyword === 'ENV').map((i) => parseEnv(i.args)) ?? []));
}

const fullVersionTag = /^v?\d+\.\d+\.\d+([.-][A-Za-z0-9.-]+)?$/;

/** Go durations of whole seconds as the watchdog takes them ("15s" or "15"); NaN otherwise. */
export function durationSeconds(value: string | undefined): number {
  const match = /^(\d+)s?$/.exec(value ?? '');
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * What the template's Dockerfile must hold: every external base image pinned to a full version (or
 * a digest), never `latest` nor a floating major; a numeric non-root USER in the final stage (so
 * Kubernetes can check runAsNonRoot); of-watchdog's timeouts consistent with the termination grace.
 */
export function dockerfileProblems(text: string, terminationGraceS: number): string[] {
  const problems: string[] = [];
  const stages = parseDockerfile(text);
  if (stages.length === 0) return ['no FROM'];
  const stageNames = new Set<string>();
  for (const stage of stages) {
    if (!stageNames.has(stage.base)) {
      const [reference = '', digest] = stage.base.split('@');
      const slash = reference.lastIndexOf('/');
      const colon = reference.lastIndexOf(':');
      const tag = colon > slash ? reference.slice(colon + 1) : '';
      if (!digest?.startsWith('sha256:') && !fullVersionTag.test(tag)) {
        problems.push(`base image ${stage.base} is not pinned to a full version tag or a digest`);
      }
    }
    if (stage.name) stageNames.add(stage.name);
  }

  const final = stages.at(-1);
  const users = final?.instructions.filter((i) => i.keyword === 'USER') ?? [];
  const user = users.at(-1)?.args;
  if (!user) problems.push('the final stage sets no USER (it would run as root)');
  else {
    const [uid = '', gid] = user.split(':');
    if (!/^\d+$/.test(uid) || (gid !== undefined && !/^\d+$/.test(gid))) problems.push(`USER ${user} is not numeric (Kubernetes cannot check runAsNonRoot)`);
    else if (Number(uid) === 0) problems.push(`USER ${user} is root`);
  }

  const env = finalEnv(stages);
  const exec = durationSeconds(env.exec_timeout);
  const read = durationSeconds(env.read_timeout);
  const write = durationSeconds(env.write_timeout);
  const healthcheck = durationSeconds(env.healthcheck_interval ?? env.write_timeout);
  const graceMs = Number(env.SHUTDOWN_GRACE_MS);
  if ([exec, read, write, healthcheck, graceMs].some(Number.isNaN)) problems.push('exec_timeout, read_timeout, write_timeout, healthcheck_interval and SHUTDOWN_GRACE_MS must all be set');
  else {
    if (read < exec) problems.push(`read_timeout ${read}s is shorter than exec_timeout ${exec}s`);
    if (write < exec) problems.push(`write_timeout ${write}s is shorter than exec_timeout ${exec}s`);
    if (healthcheck + write >= terminationGraceS) problems.push(`healthcheck_interval + write_timeout (${healthcheck + write}s) is not below the ${terminationGraceS}s termination grace`);
    if (healthcheck * 1000 + graceMs >= terminationGraceS * 1000) problems.push(`healthcheck_interval + SHUTDOWN_GRACE_MS is not below the ${terminationGraceS}s termination grace`);
    if (graceMs > write * 1000) problems.push('SHUTDOWN_GRACE_MS is longer than write_timeout');
  }
  if (env.mode !== 'http') problems.push(`of-watchdog mode is ${env.mode}, not http`);
  const upstream = /^http:\/\/127\.0\.0\.1:(\d+)$/.exec(env.upstream_url ?? '');
  if (!upstream) problems.push(`upstream_url ${env.upstream_url} is not http://127.0.0.1:<port>`);
  else if (upstream[1] !== env.PORT) problems.push(`upstream_url port ${upstream[1]} is not the function's PORT ${env.PORT}`);
  return problems;
}

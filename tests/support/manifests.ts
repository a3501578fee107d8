import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** One document of a manifest file. */
export interface ManifestDocument {
  file: string;
  index: number;
  object: Record<string, unknown>;
}

/** Every .yaml/.yml file under `folder` (relative to the repository), recursively, sorted. */
export function yamlFiles(folder: string): string[] {
  return readdirSync(join(repoRoot, folder), { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.ya?ml$/.test(path))
    .map((path) => join(folder, path).split('\\').join('/'))
    .sort();
}

/** Parses a multi-document YAML text; throws on any YAML error or warning. */
export function parseDocuments(text: string, file: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((document, index) => {
    const issues = [...document.errors, ...document.warnings];
    if (issues.length > 0) throw new Error(`${file} document ${index}: ${issues.map((issue) => issue.message).join('; ')}`);
    const value: unknown = document.toJS();
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file} document ${index} is not a mapping`);
    return value as Record<string, unknown>;
  });
}

export function loadManifests(folder = 'knative'): ManifestDocument[] {
  return yamlFiles(folder).flatMap((file) =>
    parseDocuments(readFileSync(join(repoRoot, file), 'utf8'), file).map((object, index) => ({ file, index, object })),
  );
}

/** A deep copy to break in a test. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/** The value at a path of keys and indexes, or undefined. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests walk arbitrary manifest shapes
export function dig(value: unknown, ...path: (string | number)[]): any {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

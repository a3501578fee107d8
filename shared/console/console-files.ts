import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { AppError } from '../errors/app-error.js';

/** What build.mjs writes beside the page: the asset files it made, by name (content-hashed). */
export interface ConsoleManifest {
  page: string;
  assets: string[];
  /** Sizes of the shipped JavaScript, for the budget (150 KB gzipped) and the README. */
  javascript: { bytes: number; gzipBytes: number };
}

export interface ConsoleFile {
  body: string;
  contentType: string;
}

/** The built console in memory: the page and each asset by its name. */
export interface ConsoleFiles {
  page: ConsoleFile;
  assets: ReadonlyMap<string, ConsoleFile>;
}

export const consoleManifestName = 'manifest.json';

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

const loaded = new Map<string, ConsoleFiles>();

/**
 * The console built under `dir` (build.mjs), read once and kept in memory: a request never touches
 * the file system, so only the files the manifest names can ever be served. Missing build: 404 with
 * a hint, rather than a crash at start of a process that serves the API too (the local gateway).
 */
export function consoleFiles(dir: string): ConsoleFiles {
  const cached = loaded.get(dir);
  if (cached) return cached;
  let manifest: ConsoleManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, consoleManifestName), 'utf8')) as ConsoleManifest;
  } catch {
    throw new AppError('not_found', `The console is not built (no ${join(dir, consoleManifestName)}): run npm run build`);
  }
  const read = (name: string): ConsoleFile => ({ body: readFileSync(join(dir, name), 'utf8'), contentType: contentTypes[extname(name)] ?? 'application/octet-stream' });
  const files: ConsoleFiles = {
    page: read(manifest.page),
    assets: new Map(manifest.assets.map((name) => [name, read(join('assets', name))])),
  };
  loaded.set(dir, files);
  return files;
}

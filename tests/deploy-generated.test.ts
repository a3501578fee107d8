import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findDrift, writeFiles } from '../shared/deploy/generate.js';
import { generatedFiles } from '../shared/deploy/manifests.js';
import { repoRoot } from './support/manifests.js';

const scratch = mkdtempSync(join(tmpdir(), 'keyward-generated-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('stack.yml and knative/ are what shared/deploy/ generates now', () => {
  it('no committed file differs from the generator, none is missing, no stray YAML under knative/ (fix: npm run deploy:generate)', () => {
    expect(findDrift(repoRoot)).toEqual({ missing: [], changed: [], extra: [] });
  });

  it('a hand edit, a deleted file and a stray file are each reported', () => {
    const copy = join(scratch, 'copy');
    cpSync(join(repoRoot, 'knative'), join(copy, 'knative'), { recursive: true });
    cpSync(join(repoRoot, 'stack.yml'), join(copy, 'stack.yml'));
    writeFileSync(join(copy, 'knative/token.yaml'), readFileSync(join(copy, 'knative/token.yaml'), 'utf8').replace('min-scale: "1"', 'min-scale: "2"'));
    rmSync(join(copy, 'knative/infra/loki.yaml'));
    writeFileSync(join(copy, 'knative/extra.yaml'), 'kind: ConfigMap\n');
    expect(findDrift(copy)).toEqual({ missing: ['knative/infra/loki.yaml'], changed: ['knative/token.yaml'], extra: ['knative/extra.yaml'] });
    writeFiles(copy, generatedFiles());
    expect(findDrift(copy)).toEqual({ missing: [], changed: [], extra: [] });
  });

  it('a deployment with its own registry, tag and host gets literal images and its host everywhere', () => {
    const files = generatedFiles({ images: { registry: 'registry.local:5000', tag: '0.1.0' }, gateway: { host: 'api.acme.test', gatewayClassName: 'istio', tlsSecretName: 'tls', knativeLocalGateway: { namespace: 'istio-system', name: 'knative-local-gateway', port: 80 } } });
    const text = (path: string) => files.find((file) => file.path === path)?.text ?? '';
    expect(text('stack.yml')).toContain('image: registry.local:5000/keyward-token:0.1.0');
    expect(text('stack.yml')).not.toMatch(/image: .*\$\{/);
    expect(text('knative/token.yaml')).toContain('image: registry.local:5000/keyward-token:0.1.0');
    expect(text('knative/public-route.yaml')).toContain('- api.acme.test');
    expect(text('knative/public-route.yaml')).toContain('namespace: istio-system');
  });
});

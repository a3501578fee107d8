import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { findDrift, main, writeFiles } from '../shared/deploy/generate.js';
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
    cpSync(join(repoRoot, 'openfaas'), join(copy, 'openfaas'), { recursive: true });
    writeFileSync(join(copy, 'openfaas/extra.yaml'), 'kind: ConfigMap\n');
    rmSync(join(copy, 'openfaas/network-policy.yaml'));
    expect(findDrift(copy)).toEqual({
      missing: ['openfaas/network-policy.yaml', 'knative/infra/loki.yaml'],
      changed: ['knative/token.yaml'],
      extra: ['knative/extra.yaml', 'openfaas/extra.yaml'],
    });
    writeFiles(copy, generatedFiles());
    expect(findDrift(copy)).toEqual({ missing: [], changed: [], extra: [] });
  });

  it('a deployment with its own registry, tag and host gets literal images and its host everywhere', () => {
    const files = generatedFiles({
      images: { registry: 'registry.local:5000', tag: '0.1.0' },
      gateway: { host: 'api.acme.test', gatewayClassName: 'istio', tlsSecretName: 'tls', knativeLocalGateway: { namespace: 'istio-system', name: 'knative-local-gateway', port: 80 }, knativeIngressNamespace: 'istio-system' },
    });
    const text = (path: string) => files.find((file) => file.path === path)?.text ?? '';
    expect(text('stack.yml')).toContain('image: registry.local:5000/keyward-token:0.1.0');
    expect(text('stack.yml')).not.toMatch(/image: .*\$\{/);
    expect(text('knative/token.yaml')).toContain('image: registry.local:5000/keyward-token:0.1.0');
    expect(text('knative/public-route.yaml')).toContain('- api.acme.test');
    expect(text('knative/public-route.yaml')).toContain('namespace: istio-system');
    // The function pods then admit Istio's gateway, not Kourier's.
    expect(text('knative/network-policy.yaml')).toContain('kubernetes.io/metadata.name: istio-system');
    expect(text('knative/network-policy.yaml')).not.toContain('kourier-system');
  });

  it('--knative-gateway moves the admitted ingress namespace with it, --knative-ingress-namespace alone moves only that', () => {
    const out = join(scratch, 'cli');
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(main(['--out', out, '--knative-gateway', 'istio-system/knative-local-gateway:80'], repoRoot)).toBe(0);
      const policy = readFileSync(join(out, 'knative/network-policy.yaml'), 'utf8');
      expect(policy).toContain('kubernetes.io/metadata.name: istio-system');
      expect(policy).not.toContain('kourier-system');
      expect(main(['--out', out, '--knative-ingress-namespace', 'contour-internal'], repoRoot)).toBe(0);
      expect(readFileSync(join(out, 'knative/network-policy.yaml'), 'utf8')).toContain('kubernetes.io/metadata.name: contour-internal');
      expect(readFileSync(join(out, 'knative/public-route.yaml'), 'utf8')).toContain('namespace: kourier-system');
    } finally {
      quiet.mockRestore();
    }
  });
});

import { series, tenantLabel, verificationCodes } from './catalogue.js';
import { CounterFamily, type CounterCell, type FamilySet } from './cells.js';

/** keyward_api_key_verifications_total, keyward_rate_limited_total, keyward_usage_exceeded_total. */
export interface ApiKeyMetrics {
  /** A verification's answer (`code`), for a key of `tenantId`'s. */
  verified(code: string, tenantId: string): void;
  /** A request refused because the calling key was over its rate limit or out of quota. */
  refused(reason: 'rate_limited' | 'usage_exceeded', tenantId: string): void;
  /** Puts the series in the registry (idempotent; recording does it too). */
  register(): void;
}

/** The cells one tenant records into, or everyone's when tenant labels are off. */
interface Cells {
  codes: Map<string, CounterCell>;
  rate_limited: CounterCell;
  usage_exceeded: CounterCell;
}

/**
 * Without tenant labels (the default) there is one set of cells, made now so every code starts at 0.
 * With METRICS_TENANT_LABELS=true each tenant gets its own set the first time it is seen: the
 * operator chose series per tenant (tenants × 9 of them).
 */
export function createApiKeyMetrics(registry: FamilySet, tenantLabels: boolean): ApiKeyMetrics {
  const tenant = tenantLabels ? [tenantLabel] : [];
  const verifications = new CounterFamily({ ...series.verifications, labelNames: [...series.verifications.labelNames, ...tenant] });
  const rateLimited = new CounterFamily({ ...series.rateLimited, labelNames: tenant });
  const usageExceeded = new CounterFamily({ ...series.usageExceeded, labelNames: tenant });
  let registered = false;
  const register = () => {
    if (registered) return;
    registered = true;
    registry.add(verifications, rateLimited, usageExceeded);
  };

  const makeCells = (labels: Record<string, string>): Cells => ({
    codes: new Map(verificationCodes.map((code) => [code, verifications.cell({ code, ...labels })])),
    rate_limited: rateLimited.cell(labels),
    usage_exceeded: usageExceeded.cell(labels),
  });
  const everyone = tenantLabels ? undefined : makeCells({});
  const byTenant = new Map<string, Cells>();
  const cellsOf = (tenantId: string): Cells => {
    if (everyone) return everyone;
    let cells = byTenant.get(tenantId);
    if (!cells) {
      cells = makeCells({ [tenantLabel]: tenantId });
      byTenant.set(tenantId, cells);
    }
    return cells;
  };

  return {
    verified(code, tenantId) {
      register();
      const { codes } = cellsOf(tenantId);
      let cell = codes.get(code);
      if (!cell) {
        // A code the catalogue does not list yet: still one of the verify script's few answers.
        cell = verifications.cell({ code, ...(everyone ? {} : { [tenantLabel]: tenantId }) });
        codes.set(code, cell);
      }
      cell.inc();
    },
    refused(reason, tenantId) {
      register();
      cellsOf(tenantId)[reason].inc();
    },
    register,
  };
}

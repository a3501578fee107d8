import { AppError } from '../errors/app-error.js';
import { series } from './catalogue.js';
import { CounterFamily, type CounterCell, type FamilySet } from './cells.js';

export const loginOutcomes = ['success', 'failed', 'throttled', 'disabled'] as const;
export type LoginOutcome = (typeof loginOutcomes)[number];

/** keyward_logins_total{outcome}. */
export interface LoginMetrics {
  record(outcome: LoginOutcome): void;
  /** A failed login's outcome, from its error; an error that is no answer about the credentials (Redis down) is not counted. */
  failed(error: unknown): void;
  register(): void;
}

const outcomeOfCode: Record<string, LoginOutcome> = {
  invalid_credentials: 'failed',
  login_throttled: 'throttled',
  user_disabled: 'disabled',
  tenant_disabled: 'disabled',
};

export function createLoginMetrics(registry: FamilySet): LoginMetrics {
  const logins = new CounterFamily(series.logins);
  const cells = new Map<LoginOutcome, CounterCell>(loginOutcomes.map((outcome) => [outcome, logins.cell({ outcome })]));
  let registered = false;
  const register = () => {
    if (registered) return;
    registered = true;
    registry.add(logins);
  };
  const record = (outcome: LoginOutcome) => {
    register();
    cells.get(outcome)?.inc();
  };
  return {
    record,
    failed(error) {
      const outcome = error instanceof AppError ? outcomeOfCode[error.code] : undefined;
      if (outcome) record(outcome);
    },
    register,
  };
}

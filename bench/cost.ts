import type { OpUsage } from './calls.js';

/**
 * Monthly cost of a workload on this service against AWS Secrets Manager, from the measured
 * per-request usage and AWS list prices (us-east-1, on-demand, no free tier).
 */
export const PRICES = {
  as_of: '2024-11 (AWS list prices, us-east-1)',
  http_api_usd_per_million_requests: 1.0,
  lambda_arm64_usd_per_gb_second: 0.0000133334,
  lambda_usd_per_million_requests: 0.2,
  dynamodb_on_demand_usd_per_million_rru: 0.125,
  dynamodb_on_demand_usd_per_million_wru: 0.625,
  dynamodb_standard_usd_per_gb_month: 0.25,
  kms_usd_per_key_month: 1.0,
  kms_usd_per_10k_requests: 0.03,
  secrets_manager_usd_per_secret_month: 0.4,
  secrets_manager_usd_per_10k_api_calls: 0.05,
} as const;

/** What one request costs, measured. */
export interface RequestCost extends OpUsage {
  /** Handler time billed by Lambda; the bench uses gateway p50, which also holds the local gateway's work. */
  lambdaMs: number;
}

export interface CostInputs {
  /** One read: a runtime injecting a user's secrets (GET …/env). */
  read: RequestCost;
  /** One write: a secret's value replaced (PUT …/{id}). */
  write: RequestCost;
}

const WORKLOAD = {
  secrets: 10_000,
  secrets_per_user: 10,
  reads_per_month: 1_000_000,
  /** Every secret rotated once a month. */
  writes_per_month: 10_000,
  lambda_memory_mb: 256,
  kms_keys: 1,
  /** Name entry + secret item with ciphertext, each with DynamoDB's 100-byte item overhead. */
  stored_bytes_per_secret: 700,
  /** One audit item per read, kept 90 days by TTL. */
  audit_bytes_per_read: 400,
  audit_retention_days: 90,
};

export interface MonthlyCost {
  ours: number;
  secrets_manager: number;
  assumptions: Record<string, unknown>;
}

export function monthlyCost({ read, write }: CostInputs): MonthlyCost {
  const p = PRICES;
  const w = WORKLOAD;
  const requests = w.reads_per_month + w.writes_per_month;
  const gbSeconds = (cost: RequestCost) => (Math.ceil(cost.lambdaMs) / 1000) * (w.lambda_memory_mb / 1024);
  const lambda =
    (w.reads_per_month * gbSeconds(read) + w.writes_per_month * gbSeconds(write)) * p.lambda_arm64_usd_per_gb_second +
    (requests / 1e6) * p.lambda_usd_per_million_requests;
  const apiGateway = (requests / 1e6) * p.http_api_usd_per_million_requests;
  const readUnits = w.reads_per_month * read.readUnits + w.writes_per_month * write.readUnits;
  const writeUnits = w.reads_per_month * read.writeUnits + w.writes_per_month * write.writeUnits;
  const storedGb =
    (w.secrets * w.stored_bytes_per_secret +
      w.reads_per_month * (w.audit_retention_days / 30) * w.audit_bytes_per_read) /
    1e9;
  const dynamodb =
    (readUnits / 1e6) * p.dynamodb_on_demand_usd_per_million_rru +
    (writeUnits / 1e6) * p.dynamodb_on_demand_usd_per_million_wru +
    storedGb * p.dynamodb_standard_usd_per_gb_month;
  const kmsRequests = w.reads_per_month * read.kms + w.writes_per_month * write.kms;
  const kms = w.kms_keys * p.kms_usd_per_key_month + (kmsRequests / 1e4) * p.kms_usd_per_10k_requests;
  const ours = lambda + apiGateway + dynamodb + kms;
  // Secrets Manager: one secret per secret, one API call per read (BatchGetSecretValue fetches a user's set) and per write.
  const secretsManager =
    w.secrets * p.secrets_manager_usd_per_secret_month + (requests / 1e4) * p.secrets_manager_usd_per_10k_api_calls;
  return {
    ours: round(ours),
    secrets_manager: round(secretsManager),
    assumptions: {
      ...w,
      per_read: perRequest(read),
      per_write: perRequest(write),
      usage_note: 'per-request usage measured with a cold key cache (the worst case: one KMS Decrypt per request)',
      breakdown_usd: {
        lambda: round(lambda),
        api_gateway: round(apiGateway),
        dynamodb: round(dynamodb),
        kms: round(kms),
      },
      prices: p,
    },
  };
}

const round = (value: number) => Math.round(value * 100) / 100;

const perRequest = (cost: RequestCost) => ({
  kms_calls: cost.kms,
  dynamodb_calls: cost.dynamodbCalls,
  read_units: cost.readUnits,
  write_units: cost.writeUnits,
  lambda_ms: round(cost.lambdaMs),
});

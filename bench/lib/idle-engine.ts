import { join } from 'node:path';
import type { Engine } from '../../src/services/terraform/engine.js';

/**
 * A real Engine that a benchmark never runs: the Controller subscribes to it and the panes read
 * its settings, nothing more. Its directories (`DIR/bench.local`, `terraform.rc`, `bench.tfvars`,
 * none written until the engine runs) live in `dir`, which the caller made and removes.
 * The backend is the local-mode S3 backend of `environment` in `bucket` (KMS alias `kmsAlias`),
 * us-east-1 unless `region` says otherwise. The engine's modules are imported dynamically, like
 * the rest of a worker's console side.
 */
export async function idleEngine(
  dir: string,
  opts: { environment: string; bucket?: string; region?: string; kmsAlias?: string; terraform?: string },
): Promise<Engine> {
  const { Engine: EngineClass } = await import('../../src/services/terraform/engine.js');
  const { backendFor } = await import('../../src/services/terraform/backend.js');
  const backend = backendFor(
    opts.environment,
    {
      terraform_bucket_name: opts.bucket ?? 'platform-console-local-state',
      aws_region: opts.region ?? 'us-east-1',
      kms_master_id: opts.kmsAlias ?? 'alias/platform-console-local',
    },
    true,
  );
  return new EngineClass({
    binary: { path: opts.terraform ?? '/usr/local/bin/terraform', flavour: 'terraform', version: '1.11.4' },
    terraformDir: dir,
    dataDir: join(dir, 'bench.local'),
    cliConfigFile: join(dir, 'terraform.rc'),
    varFile: join(dir, 'bench.tfvars'),
    backend,
    env: {},
  });
}

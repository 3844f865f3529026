/**
 * `--ci roll` in a child process, for the roll's kill-and-resume test: the command's own code
 * (src/cli/ci-roll.ts, as main.ts calls it), with the two things a test harness must give it: where
 * each instance's sshd host is (a JSON file the harness rewrites at every boot: the instances'
 * addresses are moto's, not reachable) and shorter waits.
 *
 * Usage: node roll-child.js CONFIG.json, where CONFIG is {@link RollChildConfig}. Exits with the
 * command's exit code.
 */
import { readFile } from 'node:fs/promises';

import { runCiRoll, type RollCliOptions } from '../../src/cli/ci-roll.js';
import { profilePath, resolvePaths } from '../../src/core/paths.js';
import { loadProfile } from '../../src/core/profile.js';
import type { SshTarget } from '../../src/services/ssh/targets.js';

/** What the parent passes. */
export interface RollChildConfig {
  environment: string;
  json: boolean;
  autoApprove: boolean;
  roll: RollCliOptions;
  bastion: string;
  identity: string;
  knownHosts: string;
  user: string;
  kubeconfig: string;
  targetsFile: string;
  pollMs: number;
}

const cfg = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as RollChildConfig;
const env = process.env;
const paths = resolvePaths(env);
const profile = await loadProfile(profilePath(paths, cfg.environment), cfg.environment);
const code = await runCiRoll({
  environment: cfg.environment,
  profile,
  local: false,
  json: cfg.json,
  autoApprove: cfg.autoApprove,
  roll: cfg.roll,
  ssh: { bastion: cfg.bastion, identity: cfg.identity, knownHosts: cfg.knownHosts, user: cfg.user, acceptNewHostKey: false },
  kubeconfig: cfg.kubeconfig,
  paths,
  env,
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  harness: {
    targetOf: async (i) => {
      const map = JSON.parse(await readFile(cfg.targetsFile, 'utf8')) as Record<string, SshTarget>;
      const t = map[i.instanceId];
      if (!t) throw new Error(`roll-child: no sshd host for ${i.instanceId}`);
      return t;
    },
    pollMs: cfg.pollMs,
    replaceTimeoutMs: 90_000,
  },
});
process.exitCode = code;

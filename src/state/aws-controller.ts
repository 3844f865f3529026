/**
 * The AWS panes' controllers, made from one set of options: the Instances, Load balancers and
 * Secrets panes' (in their pane folders) and the prerequisites'. The console and the tests build
 * this; the panes' actions call their own controller through it.
 */
import type { AwsContext } from '../services/aws/context.js';
import { ElbsController } from '../panes/elbs/controller.js';
import { InstancesController } from '../panes/instances/controller.js';
import { SecretsController } from '../panes/secrets/controller.js';
import type { PaneId } from '../panes/ids.js';
import type { TerminalHandoff } from './polled-list.js';
import { PrerequisitesController, type Prerequisites } from './prerequisites-controller.js';
import type { Store } from './store.js';

export type { TerminalHandoff } from './polled-list.js';

/** What the AWS panes need besides the store. */
export interface AwsOptions {
  ctx: AwsContext;
  /** Finds the secrets bucket (Terraform output `secrets_bucket`); undefined when not applied yet. */
  resolveSecretsBucket: () => Promise<string | undefined>;
  /** Where `f` and `F` write fetched secrets (files 0600, folders 0700). */
  secretsDir: string;
  /** The editor command for `e` (`$VISUAL`, `$EDITOR`, else `vi`). */
  editor: string;
  /** Auto-refresh interval of the Instances and Load balancers panes, ms. */
  refreshMs?: number;
  /** The prerequisites the profile names (state bucket, KMS key alias) and the profile to write them into. */
  prerequisites?: Prerequisites;
}

/** The AWS panes' controllers. */
export class AwsController {
  readonly instances: InstancesController;
  readonly elbs: ElbsController;
  readonly secrets: SecretsController;
  readonly prerequisites: PrerequisitesController;

  constructor(store: Store, o: AwsOptions) {
    this.instances = new InstancesController(store, o.ctx, o.refreshMs);
    this.elbs = new ElbsController(store, o.ctx, o.refreshMs);
    this.secrets = new SecretsController(store, o);
    this.prerequisites = new PrerequisitesController(store, o);
  }

  /** Gives the Secrets pane the UI's way to hand the terminal to an editor. */
  setTerminalHandoff(h: TerminalHandoff): void {
    this.secrets.setTerminalHandoff(h);
  }

  /** Called when a pane is shown: starts its data the first time. */
  activate(pane: PaneId): void {
    if (pane === 'instances') this.instances.activate();
    else if (pane === 'elbs') this.elbs.activate();
    else if (pane === 'secrets') this.secrets.activate();
  }

  /** Stops the pollers (on quit). */
  stop(): void {
    this.instances.stop();
    this.elbs.stop();
  }
}

/**
 * The AWS prerequisites of an environment: the state bucket and KMS key the profile names are
 * checked at start (a warning when missing), created on `:bootstrap` after the operator's yes,
 * and written into the profile after a second yes.
 */
import { messageOf } from '../core/errors.js';
import { writeProfileFields } from '../core/profile-edit.js';
import { bootstrapPrerequisites, checkPrerequisites } from '../services/aws/bootstrap.js';
import type { AwsContext } from '../services/aws/context.js';
import type { Message } from './list-slice.js';
import { errorMessage } from './polled-list.js';
import type { Store } from './store.js';

/** The prerequisites the profile names (state bucket, KMS key alias) and the profile to write them into. */
export interface Prerequisites {
  bucket: string;
  kmsAlias: string;
  profileFile: string;
  profileKmsId: string;
}

/** Checks and creates the prerequisites. */
export class PrerequisitesController {
  constructor(
    private readonly store: Store,
    private readonly o: { ctx: AwsContext; prerequisites?: Prerequisites },
  ) {}

  private say(m: Message): void {
    this.store.update((s) => {
      s.message = m;
    });
  }

  /**
   * Checks that the profile's state bucket and KMS key exist; when not, says so and offers
   * `:bootstrap`. Never throws (a failed check is only a warning).
   */
  async checkPrerequisites(): Promise<void> {
    const p = this.o.prerequisites;
    if (!p) return;
    try {
      const c = await checkPrerequisites(this.o.ctx, { bucket: p.bucket, kmsAlias: p.kmsAlias });
      if (!c.bucketExists || !c.keyExists) {
        const missing = [!c.bucketExists ? `the state bucket ${p.bucket}` : '', !c.keyExists ? `the KMS key ${p.kmsAlias}` : ''].filter(Boolean).join(' and ');
        this.say({ level: 'warn', text: `${missing} do${!c.bucketExists && !c.keyExists ? '' : 'es'} not exist yet: plans will fail.`, hint: 'type :bootstrap to create them (old kmsctl bucket create / kms create)' });
      }
    } catch (err) {
      this.say({ ...messageOf(err), level: 'warn' });
    }
  }

  /** `:bootstrap`: asks to create the prerequisites. */
  askBootstrap(): void {
    const p = this.o.prerequisites;
    if (!p) return this.say({ level: 'info', text: 'In local mode the emulator\'s state bucket and key are created at start.' });
    this.store.ask({
      action: 'bootstrap',
      typed: false,
      prompt: `Create the prerequisites of ${this.o.ctx.environment} in ${this.o.ctx.region}? (y/N)`,
      detail: [`state bucket ${p.bucket}: versioned, SSE-KMS, public access blocked`, `KMS key with alias ${p.kmsAlias} (yearly rotation)`, 'existing ones are checked and only what differs is changed'],
      onYes: () => void this.runBootstrap(),
    });
  }

  /** Runs the confirmed bootstrap; when the profile names the key otherwise, asks before writing it. */
  async runBootstrap(): Promise<void> {
    const p = this.o.prerequisites;
    if (!p) return;
    try {
      this.say({ level: 'info', text: 'Creating the prerequisites…' });
      const r = await bootstrapPrerequisites(this.o.ctx, { bucket: p.bucket, kmsAlias: p.kmsAlias });
      this.say({ level: 'info', text: r.changed ? `Done: ${r.changes.join('; ')}.` : 'Nothing to do: the state bucket and the KMS key exist as they should.' });
      if (p.profileKmsId !== r.key.alias) {
        const fields = { terraform_bucket_name: r.bucket.name, kms_master_id: r.key.alias };
        this.store.ask({
          action: 'write-profile',
          typed: false,
          prompt: `Write kms_master_id = "${r.key.alias}" and terraform_bucket_name = "${r.bucket.name}" into ${p.profileFile}? (y/N)`,
          onYes: () => void this.writeProfile(fields),
        });
      }
    } catch (err) {
      this.say(errorMessage(err));
    }
  }

  /** Writes the bootstrapped names into the profile (only after the operator said yes). */
  async writeProfile(fields: { terraform_bucket_name: string; kms_master_id: string }): Promise<void> {
    const p = this.o.prerequisites;
    if (!p) return;
    try {
      await writeProfileFields(p.profileFile, fields);
      p.profileKmsId = fields.kms_master_id;
      this.say({ level: "info", text: `Wrote terraform_bucket_name and kms_master_id into ${p.profileFile}.`, hint: "quit and open the console again to plan with them" });
    } catch (err) {
      this.say(errorMessage(err));
    }
  }

}

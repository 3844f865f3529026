/**
 * The Instances pane's controller: the polled list of the environment's EC2 instances, sorting,
 * and the details of one on Enter. (SSH, marks, `:run` and tunnels are the SshController's.)
 */
import type { AwsContext } from '../../services/aws/context.js';
import type { InstanceRow } from '../../services/aws/instances.js';

/** The EC2 service (the SDK's EC2 client, tens of MB) loads when the pane first lists. */
const service = () => import('../../services/aws/instances.js');
import { listFailed } from '../../state/list-slice.js';
import { errorMessage, PolledList } from '../../state/polled-list.js';
import type { Store } from '../../state/store.js';
import { detailsRead, INSTANCE_SORT_KEYS, visibleInstances } from './slice.js';

/** The Instances pane's controller. */
export class InstancesController extends PolledList<InstanceRow> {
  constructor(
    store: Store,
    private readonly ctx: AwsContext,
    refreshMs?: number,
  ) {
    super(store, (s) => s.instances, async (signal) => (await service()).listInstances(ctx, { signal }), INSTANCE_SORT_KEYS, refreshMs);
  }

  /** `Enter`: the selected instance's details (tags, security groups, volumes, network interfaces). */
  async enter(): Promise<void> {
    const s = this.store.state;
    const row = visibleInstances(s)[s.selected];
    if (!row) return;
    try {
      const d = await (await service()).describeInstance(this.ctx, row.id);
      const lines = [
        `instance ${d.id}  ${row.state}  ${row.type}  ${row.az}`,
        `vpc ${d.vpcId}  subnet ${d.subnetId}  image ${d.imageId}${d.keyName ? `  key ${d.keyName}` : ''}`,
        '',
        'tags:',
        ...Object.entries(d.tags)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `  ${k} = ${v}`),
        '',
        'security groups:',
        ...d.securityGroups.map((g) => `  ${g.id}  ${g.name}`),
        '',
        'volumes:',
        ...d.volumes.map((v) => `  ${v.id}  ${v.device}${v.sizeGiB !== undefined ? `  ${v.sizeGiB} GiB` : ''}${v.state ? `  ${v.state}` : ''}`),
        '',
        'network interfaces:',
        ...d.enis.map((e) => `  ${e.id}  ${e.privateIp}  ${e.subnetId}${e.description ? `  ${e.description}` : ''}`),
      ];
      this.store.update((st) => detailsRead(st.instances, d));
      this.store.open({ kind: 'details', title: `${row.name || row.id}`, lines, scroll: Number.MAX_SAFE_INTEGER });
    } catch (err) {
      this.store.update((st) => listFailed(st.instances, errorMessage(err)));
    }
  }
}

/** The Load balancers pane's controller: the polled list (classic and v2), sorting, the details of one on Enter. */
import type { AwsContext } from '../../services/aws/context.js';
import type { LoadBalancerRow } from '../../services/aws/load-balancers.js';

/** The load balancer service (two SDK clients) loads when the pane first lists. */
const service = () => import('../../services/aws/load-balancers.js');
import { PolledList } from '../../state/polled-list.js';
import type { Store } from '../../state/store.js';
import { ELB_SORT_KEYS, visibleElbs } from './slice.js';

/** The Load balancers pane's controller. */
export class ElbsController extends PolledList<LoadBalancerRow> {
  constructor(
    store: Store,
    ctx: AwsContext,
    refreshMs?: number,
  ) {
    super(store, (s) => s.elbs, async (signal) => (await service()).listLoadBalancers(ctx, { signal }), ELB_SORT_KEYS, refreshMs);
  }

  /** `Enter`: listeners and every target with its health. */
  enter(): void {
    const s = this.store.state;
    const row = visibleElbs(s)[s.selected];
    if (!row) return;
    const lines = [
      `${row.kind} load balancer ${row.name}  (${row.scheme})`,
      `DNS name ${row.dnsName}`,
      ...(row.arn ? [`ARN ${row.arn}`] : []),
      '',
      'listeners:',
      ...row.listeners.map((l) => `  ${l}`),
      '',
      `targets (${row.healthy} healthy, ${row.unhealthy} unhealthy):`,
      ...row.targets.map((t) => `  ${t.healthy ? '✓' : '✗'} ${t.id}${t.port ? `:${t.port}` : ''}  ${t.state}${t.reason ? `  (${t.reason})` : ''}`),
    ];
    this.store.open({ kind: 'details', title: row.name, lines, scroll: Number.MAX_SAFE_INTEGER });
  }
}

/**
 * A stand-in for EC2's own refusal to attach what is already attached, which moto lacks: moto's
 * AttachVolume and AttachNetworkInterface (moto 5.2) accept a volume or an interface that is attached
 * to another instance and silently move it, so two nodes racing for one resource would both "win".
 *
 * {@link startAttachGuard} is an HTTP proxy on 127.0.0.1 (a free port) in front of moto. It forwards
 * every request unchanged, except EC2's `Action=AttachVolume` and `Action=AttachNetworkInterface`
 * (form-encoded POST bodies, as the AWS CLI and the SDKs send them): those are serialized, and each
 * asks moto first (DescribeVolumes / DescribeNetworkInterfaces) whether the resource is attached; if
 * it is, the guard answers as EC2 does, HTTP 400 with EC2's error XML:
 *   - AttachVolume: `VolumeInUse`, "vol-… is already attached to an instance";
 *   - AttachNetworkInterface: `InvalidNetworkInterface.InUse`, "Interface: [eni-…] in use.".
 * (Codes: EC2 API Reference, "Error codes for the Amazon EC2 API"; messages as EC2 returns them.)
 *
 * An optional barrier ({@link AttachGuard.hold}) holds the next N attach requests until N have arrived,
 * so a race is deterministic: every racer has already seen the resource as available.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { DescribeNetworkInterfacesCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';

/** One attach request the guard saw, in the order it was decided. */
export interface AttachRecord {
  action: 'AttachVolume' | 'AttachNetworkInterface';
  /** VolumeId or NetworkInterfaceId. */
  resourceId: string;
  instanceId: string;
  /** The error code the guard answered with, or undefined when the request went on to moto. */
  refused?: string;
}

/** A running guard from {@link startAttachGuard}. */
export interface AttachGuard {
  /** `http://127.0.0.1:PORT`: use it as AWS_ENDPOINT_URL instead of moto's. */
  endpoint: string;
  /** Every attach request so far (the guard's log, for assertions). */
  attaches: AttachRecord[];
  /** Holds the next `n` attach requests until `n` have arrived, then lets them on in arrival order. */
  hold(n: number): void;
  /** Closes the proxy (held requests are let on first). Idempotent. */
  stop(): Promise<void>;
}

const ATTACH = new Set(['AttachVolume', 'AttachNetworkInterface']);

/** EC2's error response (query protocol). */
function ec2Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`;
}

/**
 * Starts the guard in front of `target` (moto's endpoint, `http://127.0.0.1:PORT`).
 * `barrier` is an initial {@link AttachGuard.hold}.
 */
export async function startAttachGuard(opts: { target: string; region?: string; barrier?: number }): Promise<AttachGuard> {
  const target = new URL(opts.target);
  const ec2 = new EC2Client({ region: opts.region ?? 'us-east-1', endpoint: opts.target, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const agent = new http.Agent({ keepAlive: true });
  const attaches: AttachRecord[] = [];
  let barrier = { size: 0, held: [] as (() => void)[] };
  /** The tail of the serialized attach requests. */
  let queue: Promise<void> = Promise.resolve();

  /** Sends the request to moto unchanged and relays its answer; resolves when the answer is sent. */
  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
        res.once('close', resolve);
      });
      up.once('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`attach guard: moto did not answer: ${err.message}`);
        resolve();
      });
      up.end(body);
    });

  /** Whether moto says the resource is attached (unknown ids: no, and moto answers the attach itself). */
  const attached = async (action: string, id: string): Promise<boolean> => {
    try {
      if (action === 'AttachVolume') {
        const r = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }));
        return (r.Volumes?.[0]?.Attachments ?? []).length > 0;
      }
      const r = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }));
      return r.NetworkInterfaces?.[0]?.Attachment?.InstanceId !== undefined;
    } catch {
      return false;
    }
  };

  const attach = async (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse, params: URLSearchParams): Promise<void> => {
    const action = params.get('Action') as AttachRecord['action'];
    const resourceId = params.get(action === 'AttachVolume' ? 'VolumeId' : 'NetworkInterfaceId') ?? '';
    const record: AttachRecord = { action, resourceId, instanceId: params.get('InstanceId') ?? '' };
    if (await attached(action, resourceId)) {
      record.refused = action === 'AttachVolume' ? 'VolumeInUse' : 'InvalidNetworkInterface.InUse';
      const message = action === 'AttachVolume' ? `${resourceId} is already attached to an instance` : `Interface: [${resourceId}] in use.`;
      attaches.push(record);
      res.writeHead(400, { 'content-type': 'text/xml;charset=UTF-8' }).end(ec2Error(record.refused, message));
      return;
    }
    attaches.push(record);
    await forward(req, body, res);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const form = req.method === 'POST' && /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '');
      const params = form ? new URLSearchParams(body.toString('utf8')) : undefined;
      if (!params || !ATTACH.has(params.get('Action') ?? '')) {
        void forward(req, body, res);
        return;
      }
      const gate =
        barrier.size > 0
          ? new Promise<void>((resolve) => {
              barrier.held.push(resolve);
              if (barrier.held.length >= barrier.size) release();
            })
          : Promise.resolve();
      // Released racers queue up in arrival order; each decides only after the previous one is answered.
      void gate.then(() => {
        queue = queue.then(() => attach(req, body, res, params)).catch(() => void res.destroy());
      });
    });
  });
  const release = (): void => {
    const { held } = barrier;
    barrier = { size: 0, held: [] };
    for (const go of held) go();
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  const guard: AttachGuard = {
    endpoint: `http://127.0.0.1:${port}`,
    attaches,
    hold(n) {
      release();
      barrier = { size: n, held: [] };
    },
    stop() {
      stopped ??= (async () => {
        release();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        agent.destroy();
        ec2.destroy();
      })();
      return stopped;
    },
  };
  if (opts.barrier) guard.hold(opts.barrier);
  return guard;
}

// Rank 0's hub: runs the rendezvous, chooses the backend, releases barriers and turns faults into verdicts.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { SocketControlLink, type ControlLink } from './control-link';
import type { CoordinatorMessage, HelloMessage, RankMessage } from './control-messages';
import { PROTOCOL_VERSION } from './control-messages';
import type { DistributedErrorDetails } from './distributed-error';
import { describeOperation, sameOperation, type OperationHeader, type TransportBackend, type WorkerConfig } from './protocol';

/** How long the coordinator collects status replies before writing its verdict on a fault. */
const STATUS_WAIT_MS = 1_000;

interface Member {
  rank: number;
  link: ControlLink<RankMessage, CoordinatorMessage>;
  hello: HelloMessage;
  /** Where other ranks reach this rank's ring port. */
  address: string;
  connected: boolean;
  left: boolean;
  gone: boolean;
}

interface Status {
  completed: number;
  issued: number;
  activity: string;
}

/**
 * Lives in rank 0's communication worker and talks to every rank (rank 0 through an in-memory link).
 * Rendezvous: collect one hello per rank, check they agree (world size, ranks, versions, settings), choose the
 * backend (shared memory when every rank shares a host and can read a probe file), send the plan, wait until
 * every rank is connected, start. Afterwards: release hub barriers once every rank arrived with the same
 * operation, and abort the whole group on any fault with a message naming the rank responsible.
 */
export class Coordinator {
  private readonly members = new Map<number, Member>();
  private state: 'rendezvous' | 'probing' | 'connecting' | 'running' | 'failed' | 'closed' = 'rendezvous';
  private readonly rounds = new Map<number, Map<number, OperationHeader>>();
  private readonly probeResults = new Map<number, { ok: boolean; detail: string }>();
  private shmPaths: string[] = [];
  private readonly rendezvousTimer: NodeJS.Timeout;
  private diagnosing = false;
  private statusReplies: Map<number, Status> | undefined;
  private statusComplete: (() => void) | undefined;

  constructor(
    private readonly config: WorkerConfig,
    private readonly server: Server,
    localLink: ControlLink<RankMessage, CoordinatorMessage>,
  ) {
    server.on('connection', (socket: Socket) => {
      const address = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      this.adopt(new SocketControlLink<RankMessage, CoordinatorMessage>(socket), address);
    });
    this.adopt(localLink, config.masterAddr);
    this.rendezvousTimer = setTimeout(() => this.rendezvousTimedOut(), config.rendezvousTimeoutMs);
  }

  private adopt(link: ControlLink<RankMessage, CoordinatorMessage>, address: string): void {
    let member: Member | undefined;
    link.onMessage((message) => {
      if (member) this.onMessage(member, message);
      else if (message.type === 'hello') member = this.admit(message, link, address);
      else link.close();
    });
    link.onClose((reason) => {
      if (member) this.onGone(member, reason);
    });
  }

  private admit(
    hello: HelloMessage,
    link: ControlLink<RankMessage, CoordinatorMessage>,
    address: string,
  ): Member | undefined {
    const { worldSize } = this.config;
    const who = `rank ${hello.rank} (pid ${hello.pid} on ${hello.hostname})`;
    const reject = (message: string, failedRank?: number): undefined => {
      const error: DistributedErrorDetails = { code: 'rendezvous-mismatch', message };
      if (failedRank !== undefined) error.failedRank = failedRank;
      link.send({ type: 'abort', error });
      link.close();
      this.failAll(error);
      return undefined;
    };
    if (this.state !== 'rendezvous') {
      // A stray process (another job on the same port, a late restart): turn it away, keep the group.
      link.send({
        type: 'abort',
        error: { code: 'rendezvous-mismatch', message: `${who} arrived after the rendezvous of this group had completed` },
      });
      link.close();
      return undefined;
    }
    if (hello.version !== PROTOCOL_VERSION) {
      return reject(
        `${who} speaks protocol version ${hello.version} but rank 0 speaks ${PROTOCOL_VERSION}: every rank must run the same @msn/trainer version`,
      );
    }
    if (hello.worldSize !== worldSize) {
      return reject(
        `${who} was started with WORLD_SIZE=${hello.worldSize} but rank 0 with WORLD_SIZE=${worldSize}: every rank must be started with the same world size`,
      );
    }
    if (!Number.isInteger(hello.rank) || hello.rank < 0 || hello.rank >= worldSize) {
      return reject(`${who} has RANK=${hello.rank}, outside 0…${worldSize - 1} for WORLD_SIZE=${worldSize}`);
    }
    const existing = this.members.get(hello.rank);
    if (existing) {
      return reject(
        `two processes claim rank ${hello.rank}: pid ${existing.hello.pid} on ${existing.hello.hostname} and pid ${hello.pid} on ${hello.hostname}`,
      );
    }
    // Settings every rank must share, compared with whichever rank joined first.
    const reference = this.members.values().next().value?.hello;
    if (reference) {
      for (const key of ['backend', 'segmentBytes', 'shmSlotBytes'] as const) {
        if (hello[key] !== reference[key]) {
          return reject(
            `${who} uses ${key} = ${String(hello[key])} but rank ${reference.rank} uses ${String(reference[key])}: ` +
              'every rank must use the same process-group options',
          );
        }
      }
    }
    const member: Member = { rank: hello.rank, link, hello, address, connected: false, left: false, gone: false };
    this.members.set(hello.rank, member);
    if (this.members.size === worldSize) this.chooseBackend();
    return member;
  }

  private chooseBackend(): void {
    const members = [...this.members.values()];
    const requested = this.config.backend;
    if (requested === 'tcp') return this.sendPlan('tcp');
    const first = members[0]!;
    const elsewhere = members.find((member) => member.hello.hostKey !== first.hello.hostKey);
    if (elsewhere) {
      if (requested === 'shm') {
        return this.failAll({
          code: 'shared-memory',
          message:
            `backend 'shm' needs every rank on one machine, but rank ${first.rank} runs on ${first.hello.hostname} ` +
            `and rank ${elsewhere.rank} on ${elsewhere.hello.hostname}; use backend 'tcp' or 'auto'`,
        });
      }
      return this.sendPlan('tcp');
    }
    const token = randomBytes(16).toString('hex');
    try {
      this.createSharedFiles(token);
    } catch (error) {
      this.removeSharedFiles();
      if (requested === 'shm') {
        return this.failAll({ code: 'shared-memory', message: (error as Error).message });
      }
      return this.sendPlan('tcp');
    }
    this.state = 'probing';
    for (const member of members) member.link.send({ type: 'probe', paths: this.shmPaths, token });
  }

  private createSharedFiles(token: string): void {
    const { shmDirectory: directory, shmSlotBytes, worldSize } = this.config;
    const needed = 2 * worldSize * shmSlotBytes;
    const stats = statfsSync(directory);
    const available = Number(stats.bavail) * Number(stats.bsize);
    if (available < needed) {
      throw new Error(
        `the shared-memory backend needs ${needed} bytes in ${directory} but only ${available} are free ` +
          '(containers: raise --shm-size, or lower shmSlotBytes)',
      );
    }
    const stem = `msn-${process.pid}-${randomBytes(6).toString('hex')}`;
    for (const suffix of ['a', 'b']) {
      const path = join(directory, `${stem}-${suffix}`);
      const file = openSync(path, 'wx', 0o600);
      this.shmPaths.push(path);
      try {
        if (suffix === 'a') writeSync(file, Buffer.from(token, 'utf8'), 0, token.length, 0);
      } finally {
        closeSync(file);
      }
    }
  }

  private removeSharedFiles(): void {
    for (const path of this.shmPaths) {
      try {
        unlinkSync(path);
      } catch {
        // Already gone.
      }
    }
  }

  private sendPlan(backend: TransportBackend): void {
    if (backend === 'tcp') {
      this.removeSharedFiles();
      this.shmPaths = [];
    }
    this.state = 'connecting';
    const members = [...this.members.values()].sort((left, right) => left.rank - right.rank);
    const peers = members.map((member) => ({
      rank: member.rank,
      address: member.address,
      dataPort: member.hello.dataPort,
      hostname: member.hello.hostname,
      pid: member.hello.pid,
    }));
    const session = randomBytes(16).toString('hex');
    for (const member of members) {
      const localWorldSize = members.filter((other) => other.hello.hostKey === member.hello.hostKey).length;
      member.link.send({ type: 'plan', backend, peers, session, shmPaths: this.shmPaths, localWorldSize });
    }
  }

  private onMessage(member: Member, message: RankMessage): void {
    switch (message.type) {
      case 'probe-result': {
        if (this.state !== 'probing') return;
        this.probeResults.set(member.rank, { ok: message.ok, detail: message.detail });
        if (this.probeResults.size < this.members.size) return;
        const failed = [...this.probeResults.entries()].find(([, result]) => !result.ok);
        if (!failed) return this.sendPlan('shm');
        if (this.config.backend === 'shm') {
          return this.failAll({
            code: 'shared-memory',
            failedRank: failed[0],
            message: `rank ${failed[0]} cannot share memory with rank 0: ${failed[1].detail}; use backend 'tcp' or 'auto'`,
          });
        }
        return this.sendPlan('tcp');
      }
      case 'connected':
        member.connected = true;
        if (this.state === 'connecting' && [...this.members.values()].every((other) => other.connected)) {
          // Every rank holds the files open now; unlinking leaves nothing behind, even after a crash.
          this.removeSharedFiles();
          clearTimeout(this.rendezvousTimer);
          this.state = 'running';
          for (const other of this.members.values()) other.link.send({ type: 'start' });
        }
        return;
      case 'arrive':
        return this.arrive(member, message.round, message.header);
      case 'fault':
        void this.diagnose(member, message.seq, message.error);
        return;
      case 'status':
        this.statusReplies?.set(member.rank, {
          completed: message.completed,
          issued: message.issued,
          activity: message.activity,
        });
        if (this.statusReplies && this.statusReplies.size >= this.alive().length) this.statusComplete?.();
        return;
      case 'bye':
        member.left = true;
        this.closeIfEveryoneLeft();
        return;
      default:
        return;
    }
  }

  private arrive(member: Member, round: number, header: OperationHeader): void {
    if (this.state !== 'running') return;
    let arrived = this.rounds.get(round);
    if (!arrived) this.rounds.set(round, (arrived = new Map()));
    arrived.set(member.rank, header);
    if (arrived.size < this.config.worldSize) return;
    this.rounds.delete(round);
    const reference = arrived.get(0)!;
    if ([...arrived.values()].some((other) => !sameOperation(other, reference))) {
      const calls = [...arrived.entries()]
        .sort(([left], [right]) => left - right)
        .map(([rank, other]) => `rank ${rank} called ${describeOperation(other)}`);
      return this.failAll({
        code: 'collective-mismatch',
        message: `ranks called different collectives: ${calls.join(', ')}; every rank must issue the same collectives in the same order with the same sizes`,
      });
    }
    for (const other of this.members.values()) other.link.send({ type: 'release', round });
  }

  private alive(): Member[] {
    return [...this.members.values()].filter((member) => !member.gone);
  }

  /** Asks every rank what it is doing, then aborts the group with a message that names the likely culprit. */
  private async diagnose(reporter: Member, seq: number, error: DistributedErrorDetails): Promise<void> {
    if (this.state !== 'running' || this.diagnosing) return;
    this.diagnosing = true;
    const replies = new Map<number, Status>();
    this.statusReplies = replies;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STATUS_WAIT_MS);
      this.statusComplete = () => {
        clearTimeout(timer);
        resolve();
      };
      for (const member of this.alive()) member.link.send({ type: 'status-request' });
    });
    this.statusReplies = undefined;
    if (this.state !== 'running') return; // a rank vanished meanwhile: that verdict is already out
    const notes: string[] = [];
    const culprits: number[] = [];
    for (const member of [...this.members.values()].sort((left, right) => left.rank - right.rank)) {
      const status = replies.get(member.rank);
      if (!status) {
        notes.push(`rank ${member.rank} (pid ${member.hello.pid}) did not answer a status request: its process is frozen or overloaded`);
        culprits.push(member.rank);
      } else if (status.issued < seq) {
        notes.push(
          `rank ${member.rank} has not called operation #${seq} (its last completed operation is #${status.completed}): ` +
            'it is still computing, stuck, or skipped a collective',
        );
        culprits.push(member.rank);
      }
    }
    // Lead with the culprit when the statuses name one; the reporter's symptom follows.
    const verdict: DistributedErrorDetails = {
      code: error.code,
      message:
        notes.length > 0
          ? `${notes.join('; ')} (rank ${reporter.rank} reported: ${error.message})`
          : `${error.message} (reported by rank ${reporter.rank})`,
    };
    const failedRank = culprits.length === 1 ? culprits[0] : error.failedRank;
    if (failedRank !== undefined) verdict.failedRank = failedRank;
    this.failAll(verdict);
  }

  private onGone(member: Member, reason: string): void {
    member.gone = true;
    if (!member.left && this.state !== 'failed' && this.state !== 'closed') {
      const during = this.state === 'running' ? '' : ' during the rendezvous';
      this.failAll({
        code: 'peer-failure',
        failedRank: member.rank,
        message: `rank ${member.rank} (pid ${member.hello.pid} on ${member.hello.hostname}) exited or lost its connection${during} (${reason})`,
      });
    }
    this.statusReplies?.delete(member.rank);
    this.closeIfEveryoneLeft();
  }

  private rendezvousTimedOut(): void {
    if (this.state === 'running' || this.state === 'failed' || this.state === 'closed') return;
    const { worldSize, rendezvousTimeoutMs, masterAddr, masterPort } = this.config;
    const ranks = Array.from({ length: worldSize }, (_, rank) => rank);
    let lagging: number[];
    let message: string;
    if (this.members.size < worldSize) {
      lagging = ranks.filter((rank) => !this.members.has(rank));
      message =
        `rendezvous timed out after ${rendezvousTimeoutMs} ms: ${this.members.size} of ${worldSize} ranks joined; ` +
        `missing rank(s) ${lagging.join(', ')} (not started, crashed, or cannot reach ${masterAddr}:${masterPort})`;
    } else if (this.state === 'probing') {
      lagging = ranks.filter((rank) => !this.probeResults.has(rank));
      message = `rendezvous timed out after ${rendezvousTimeoutMs} ms: rank(s) ${lagging.join(', ')} did not answer the shared-memory probe`;
    } else {
      lagging = ranks.filter((rank) => !this.members.get(rank)?.connected);
      message =
        `rendezvous timed out after ${rendezvousTimeoutMs} ms: rank(s) ${lagging.join(', ')} could not connect ` +
        'to their ring neighbours (firewall, or an address other ranks cannot reach)';
    }
    const error: DistributedErrorDetails = { code: 'rendezvous-timeout', message };
    if (lagging.length === 1) error.failedRank = lagging[0]!;
    this.failAll(error);
  }

  private failAll(error: DistributedErrorDetails): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    this.state = 'failed';
    clearTimeout(this.rendezvousTimer);
    this.statusComplete?.();
    this.removeSharedFiles();
    this.server.close();
    for (const member of this.alive()) member.link.send({ type: 'abort', error });
  }

  private closeIfEveryoneLeft(): void {
    if (this.state === 'closed') return;
    const members = [...this.members.values()];
    // Before the rendezvous completes nobody can leave cleanly; failAll handles that.
    if (members.length < this.config.worldSize && this.state !== 'failed') return;
    if (!members.every((member) => member.left || member.gone)) return;
    this.state = 'closed';
    clearTimeout(this.rendezvousTimer);
    this.removeSharedFiles();
    this.server.close();
    for (const member of members) {
      if (!member.gone) member.link.send({ type: 'closed' });
      member.link.close();
    }
  }
}

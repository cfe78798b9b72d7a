// Starts one rank inside its worker: ring listener, coordinator (rank 0) or connection to it, then the join.
import { createServer, type Server } from 'node:net';
import { createLocalLinkPair, SocketControlLink, type ControlLink } from './control-link';
import type { CoordinatorMessage, RankMessage } from './control-messages';
import { Coordinator } from './coordinator';
import { DistributedError } from './distributed-error';
import { connectWithRetry, Participant } from './participant';
import type { WorkerConfig } from './protocol';

/** True for addresses that only reach this machine: then every listener binds to loopback only. */
export function isLoopbackAddress(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\./.test(address);
}

function listen(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

/**
 * Runs the rendezvous for this rank and returns its participant, ready for collectives.
 * @throws {DistributedError} `address-in-use` when rank 0 cannot listen on MASTER_PORT, `rendezvous-timeout`,
 * `rendezvous-mismatch`, `shared-memory`.
 */
export async function startParticipant(config: WorkerConfig, onProgress: () => void): Promise<Participant> {
  const deadline = Date.now() + config.rendezvousTimeoutMs;
  const bindHost = isLoopbackAddress(config.masterAddr) ? (config.masterAddr === '::1' ? '::1' : '127.0.0.1') : undefined;
  const dataServer = createServer();
  await listen(dataServer, 0, bindHost);

  let link: ControlLink<CoordinatorMessage, RankMessage>;
  if (config.rank === 0) {
    const server = createServer();
    try {
      await listen(server, config.masterPort, bindHost);
    } catch (error) {
      dataServer.close();
      const code = (error as NodeJS.ErrnoException).code;
      const where = `${bindHost ?? 'all interfaces'} port ${config.masterPort}`;
      throw new DistributedError(
        code === 'EADDRINUSE'
          ? {
              code: 'address-in-use',
              failedRank: 0,
              message:
                `rank 0 could not listen for the rendezvous on ${where}: the port is in use ` +
                '(another job, or a previous run still exiting); choose another MASTER_PORT / --master-port',
            }
          : { code: 'network', failedRank: 0, message: `rank 0 could not listen for the rendezvous on ${where}: ${code ?? String(error)}` },
        { cause: error },
      );
    }
    const [rankSide, coordinatorSide] = createLocalLinkPair<CoordinatorMessage, RankMessage>();
    new Coordinator(config, server, coordinatorSide);
    link = rankSide;
  } else {
    try {
      const socket = await connectWithRetry(
        config.masterAddr,
        config.masterPort,
        deadline,
        `rank ${config.rank}`,
        'rank 0 (the rendezvous)',
      );
      link = new SocketControlLink<CoordinatorMessage, RankMessage>(socket);
    } catch (error) {
      dataServer.close();
      throw error;
    }
  }
  const participant = new Participant(config, link, dataServer, onProgress);
  try {
    await participant.join(deadline);
  } catch (error) {
    participant.close();
    throw error;
  }
  return participant;
}

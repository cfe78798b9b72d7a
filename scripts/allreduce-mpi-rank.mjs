// One rank of the MPI half of scripts/bench-allreduce.sh: in-place float32 MPI_Allreduce through koffi (Open MPI ABI).
// Run under mpirun; rank 0 prints one line per size. A probe for issue 10, not the trainer's MPI group.
// biome-ignore-all lint/suspicious/noUndeclaredEnvVars: run by scripts/bench-allreduce.sh under mpirun, never by turbo.
import koffi from 'koffi';

const library = koffi.load(process.env.MSN_MPI_LIBRARY ?? 'libmpi.so.40');
const MPI_Init = library.func('int MPI_Init(void*, void*)');
const MPI_Comm_rank = library.func('int MPI_Comm_rank(void*, _Out_ int*)');
const MPI_Allreduce = library.func('int MPI_Allreduce(void*, void*, int, void*, void*, void*)');
const MPI_Barrier = library.func('int MPI_Barrier(void*)');
const MPI_Finalize = library.func('int MPI_Finalize()');
// Open MPI handles are the addresses of these globals; MPI_IN_PLACE is (void*)1.
const handle = (name) => koffi.address(library.symbol(name, 'char'));
const world = handle('ompi_mpi_comm_world');
const float = handle('ompi_mpi_float');
const sum = handle('ompi_mpi_op_sum');
const IN_PLACE = 1n;

MPI_Init(null, null);
const rank = [0];
MPI_Comm_rank(world, rank);
const print = (line) => rank[0] === 0 && console.log(line);
const allReduce = (data) => MPI_Allreduce(IN_PLACE, data, data.length, float, sum, world);

const scalar = new Float32Array(1);
for (let warm = 0; warm < 50; warm++) allReduce(scalar);
let start = performance.now();
for (let iteration = 0; iteration < 500; iteration++) allReduce(scalar);
print(`mpi${process.env.BENCH_LABEL ?? ''}: 4-byte all-reduce ${(((performance.now() - start) * 1000) / 500).toFixed(1)} µs`);
for (const sizeMiB of (process.env.BENCH_SIZES ?? '1,4,16,64').split(',').map(Number)) {
  const values = new Float32Array((sizeMiB << 20) / 4).fill(rank[0] + 1);
  const iterations = Math.max(3, Math.round(64 / sizeMiB));
  allReduce(values);
  MPI_Barrier(world);
  start = performance.now();
  for (let iteration = 0; iteration < iterations; iteration++) allReduce(values);
  const milliseconds = (performance.now() - start) / iterations;
  print(
    `mpi${process.env.BENCH_LABEL ?? ''} ${sizeMiB} MiB in place ${milliseconds.toFixed(2)} ms algbw ${((sizeMiB << 20) / milliseconds / 1e6).toFixed(3)} GB/s`,
  );
}
MPI_Finalize();

// The Open MPI communicator (comm.hpp) of a data-parallel run; built only with HRM_WITH_MPI
// (library hrm_train_mpi). docs/distributed.md.
#pragma once

#include <memory>

#include "hrm/train/comm.hpp"

namespace hrm::train {

// When this process was started by an MPI launcher (mpirun/mpiexec, srun: OMPI_COMM_WORLD_SIZE,
// PMIX_RANK or PMI_RANK in the environment), MPI_Init_thread and MPI_COMM_WORLD, finalized when
// the returned object is destroyed; otherwise null and MPI is never touched, so a plain `hrm train`
// works as before (Open MPI's singleton start would spawn a daemon and refuse to run as root).
// Errors of MPI calls are returned (MPI_ERRORS_RETURN) and thrown as hrm::plugin::Error naming
// the call, this rank and the peer.
std::unique_ptr<Comm> mpi_world_if_launched();

// Ends every process of the job at once (MPI_Abort): for an error on one rank while the others
// may wait in a collective for it.
[[noreturn]] void mpi_abort(int code);

}  // namespace hrm::train

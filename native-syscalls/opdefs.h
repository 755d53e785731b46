/* The argument counts of every op, as core/ops.ts defines them (-1: variable). A test
 * compares this table with the core's `tables` export, so the two cannot drift apart. */
#ifndef CAPSA_OPDEFS_H
#define CAPSA_OPDEFS_H
#include "gen/ops.h"

struct opdef {
  signed char ints, strs;
};

static const struct opdef OPDEFS[CAPSA_OP_COUNT] = {
  [CAPSA_OP_NOP] = {0, 0},
  [CAPSA_OP_SETNS] = {1, 1},
  [CAPSA_OP_UNSHARE] = {1, 0},
  [CAPSA_OP_FORK_PIDNS] = {0, 0},
  [CAPSA_OP_SYNC] = {1, 0},
  [CAPSA_OP_SET_ROOT] = {0, 1},
  [CAPSA_OP_MOUNT] = {6, 4},
  [CAPSA_OP_MKDIR] = {1, 1},
  [CAPSA_OP_MKNOD] = {5, 1},
  [CAPSA_OP_BIND_DEV] = {0, 2},
  [CAPSA_OP_SYMLINK] = {0, 2},
  [CAPSA_OP_PIVOT_ROOT] = {0, 0},
  [CAPSA_OP_MOVE_ROOT] = {0, 0},
  [CAPSA_OP_MASK] = {0, 1},
  [CAPSA_OP_READONLY] = {0, 1},
  [CAPSA_OP_SETHOSTNAME] = {0, 1},
  [CAPSA_OP_SETDOMAINNAME] = {0, 1},
  [CAPSA_OP_WRITE_FILE] = {1, 2},
  [CAPSA_OP_SETRLIMIT] = {3, 0},
  [CAPSA_OP_PRCTL] = {3, 0},
  [CAPSA_OP_SETGROUPS] = {-1, 0},
  [CAPSA_OP_SETRESGID] = {1, 0},
  [CAPSA_OP_SETRESUID] = {1, 0},
  [CAPSA_OP_UMASK] = {1, 0},
  [CAPSA_OP_CAP_BOUNDING] = {3, 0},
  [CAPSA_OP_CAPSET] = {6, 0},
  [CAPSA_OP_CAP_AMBIENT] = {3, 0},
  [CAPSA_OP_CHDIR] = {0, 1},
  [CAPSA_OP_OPEN_FIFO] = {0, 1},
  [CAPSA_OP_WAIT_FIFO] = {0, 0},
  [CAPSA_OP_SETSID] = {0, 0},
  [CAPSA_OP_SECCOMP] = {1, 1},
  [CAPSA_OP_EXEC] = {4, -1},
  [CAPSA_OP_REMOUNT_ROOT] = {1, 0},
  [CAPSA_OP_CONSOLE] = {5, 0},
};

#endif

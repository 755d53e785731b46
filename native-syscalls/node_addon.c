/* capsa.node: libcapsa's functions as a Node-API addon, for the host under Node.
 *
 * Each function takes the arguments Deno.dlopen passes for the same symbol (host/sys_native.ts
 * holds that table): "i" an int32 number, "u" a uint64 as a BigInt (or a number), "b" a typed
 * array, an ArrayBuffer or null, passed as a pointer to its bytes. Strings arrive as
 * NUL-terminated byte arrays, as under Deno. Every function returns the C function's int.
 * The `_async` twins run the call on libuv's thread pool and return a promise of that int; the
 * arrays they were given are kept alive until it settles.
 *
 * The table of exported names, argument letters and worker-thread calls is generated from
 * that Deno table; `signatures` maps every exported name to its letters, for a test. Loading this addon costs a fraction of a millisecond; the generic
 * FFI it replaces cost 9 to 12 ms per command before the first system call. */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libcapsa.h"

#define MAX_ARGS 9
typedef int (*thunk)(const intptr_t *a);

/* One thunk per function: the only place the argument types are spelled out. */
#define I(n) ((int)a[n])
#define P(t, n) ((t)a[n])
static int t_socketpair(const intptr_t *a) { return capsa_socketpair(P(int *, 0)); }
static int t_init_fd(const intptr_t *a) { return capsa_init_fd(P(const char *, 0)); }
static int t_spawn(const intptr_t *a) {
  return capsa_spawn(I(0), (unsigned long long)a[1], I(2), I(3), I(4), I(5), P(const int *, 6), I(7), P(int *, 8));
}
static int t_wait(const intptr_t *a) { return capsa_wait(I(0), P(int *, 1), I(2)); }
static int t_read(const intptr_t *a) { return capsa_read(I(0), P(void *, 1), I(2)); }
static int t_write(const intptr_t *a) { return capsa_write(I(0), P(const void *, 1), I(2)); }
static int t_close(const intptr_t *a) { return capsa_close(I(0)); }
static int t_kill(const intptr_t *a) { return capsa_kill(I(0), I(1)); }
static int t_pidfd_send_signal(const intptr_t *a) { return capsa_pidfd_send_signal(I(0), I(1)); }
static int t_pidfd_open(const intptr_t *a) { return capsa_pidfd_open(I(0)); }
static int t_open(const intptr_t *a) { return capsa_open(P(const char *, 0), I(1), I(2)); }
static int t_mkfifo(const intptr_t *a) { return capsa_mkfifo(P(const char *, 0), I(1)); }
static int t_poll(const intptr_t *a) { return capsa_poll(I(0), I(1), I(2)); }
static int t_cgroup_prime(const intptr_t *a) { return capsa_cgroup_prime(P(const char *, 0), I(1), I(2), I(3)); }
static int t_set_subreaper(const intptr_t *a) { return capsa_set_subreaper(I(0)); }
static int t_exit(const intptr_t *a) { return capsa_exit(I(0)); }
static int t_flock(const intptr_t *a) { return capsa_flock(I(0), I(1)); }
static int t_pipe(const intptr_t *a) { return capsa_pipe(P(int *, 0)); }
static int t_connect_unix(const intptr_t *a) { return capsa_connect_unix(P(const char *, 0)); }
static int t_listen_unix(const intptr_t *a) { return capsa_listen_unix(P(const char *, 0), I(1)); }
static int t_accept(const intptr_t *a) { return capsa_accept(I(0)); }
static int t_recv_fd(const intptr_t *a) { return capsa_recv_fd(I(0), P(char *, 1), I(2), P(int *, 3)); }
static int t_send_fd(const intptr_t *a) { return capsa_send_fd(I(0), P(const void *, 1), I(2), I(3)); }
static int t_seccomp_notif_recv(const intptr_t *a) { return capsa_seccomp_notif_recv(I(0), P(void *, 1)); }
static int t_seccomp_notif_send(const intptr_t *a) { return capsa_seccomp_notif_send(I(0), P(const void *, 1)); }
static int t_tty_raw(const intptr_t *a) { return capsa_tty_raw(I(0), P(void *, 1)); }
static int t_tty_set(const intptr_t *a) { return capsa_tty_set(I(0), P(const void *, 1)); }
static int t_get_winsize(const intptr_t *a) { return capsa_get_winsize(I(0), P(unsigned short *, 1)); }
static int t_set_winsize(const intptr_t *a) { return capsa_set_winsize(I(0), I(1), I(2)); }
static int t_pump(const intptr_t *a) { return capsa_pump(I(0), I(1), I(2), I(3)); }
static int t_bpf_device_attach(const intptr_t *a) {
  return capsa_bpf_device_attach(P(const void *, 0), I(1), P(const char *, 2), I(3), P(char *, 4), I(5));
}

typedef struct {
  const char *name; /* the exported name, as in host/sys_native.ts's SYMBOLS */
  const char *sig;  /* one letter per argument: i, u, b */
  thunk fn;
  int async;
} entry;

/* The table itself is generated from host/sys_native.ts (scripts/gen-addon.mjs): a symbol
 * without a thunk above does not compile. */
static const entry ENTRIES[] = {
#define ENTRY(name, sig, fn, async) {name, sig, fn, async},
#include "gen/addon_entries.h"
#undef ENTRY
};
#define NENTRIES (sizeof ENTRIES / sizeof ENTRIES[0])

static napi_value fail(napi_env env, const char *name, const char *what) {
  char msg[160];
  strncpy(msg, name, sizeof msg - 1);
  msg[sizeof msg - 1] = 0;
  strncat(msg, ": ", sizeof msg - strlen(msg) - 1);
  strncat(msg, what, sizeof msg - strlen(msg) - 1);
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* Reads the arguments of `e` into a[]; returns 0, or throws and returns -1. */
static int unpack(napi_env env, const entry *e, size_t argc, napi_value *argv, intptr_t *a) {
  size_t n = strlen(e->sig);
  if (argc != n) {
    fail(env, e->name, "wrong number of arguments");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    napi_valuetype t;
    if (napi_typeof(env, argv[i], &t) != napi_ok) return -1;
    switch (e->sig[i]) {
      case 'i': {
        int32_t v;
        if (t != napi_number || napi_get_value_int32(env, argv[i], &v) != napi_ok) {
          fail(env, e->name, "expected a number");
          return -1;
        }
        a[i] = v;
        break;
      }
      case 'u': {
        if (t == napi_bigint) {
          uint64_t v;
          bool lossless;
          if (napi_get_value_bigint_uint64(env, argv[i], &v, &lossless) != napi_ok || !lossless) {
            fail(env, e->name, "expected a 64-bit unsigned BigInt");
            return -1;
          }
          a[i] = (intptr_t)v;
        } else if (t == napi_number) {
          int64_t v;
          napi_get_value_int64(env, argv[i], &v);
          a[i] = (intptr_t)v;
        } else {
          fail(env, e->name, "expected a BigInt");
          return -1;
        }
        break;
      }
      default: { /* 'b' */
        if (t == napi_null || t == napi_undefined) {
          a[i] = 0;
          break;
        }
        bool is;
        void *data = NULL;
        if (napi_is_typedarray(env, argv[i], &is) == napi_ok && is) {
          napi_typedarray_type tt;
          size_t len, off;
          napi_value ab;
          napi_get_typedarray_info(env, argv[i], &tt, &len, &data, &ab, &off);
        } else if (napi_is_arraybuffer(env, argv[i], &is) == napi_ok && is) {
          size_t len;
          napi_get_arraybuffer_info(env, argv[i], &data, &len);
        } else {
          fail(env, e->name, "expected a typed array or null");
          return -1;
        }
        a[i] = (intptr_t)data;
      }
    }
  }
  return 0;
}

typedef struct {
  const entry *e;
  intptr_t a[MAX_ARGS];
  napi_ref refs[MAX_ARGS];
  int nrefs;
  int result;
  napi_deferred deferred;
  napi_async_work work;
} job;

static void job_execute(napi_env env, void *data) {
  job *j = data;
  j->result = j->e->fn(j->a);
}

static void job_complete(napi_env env, napi_status status, void *data) {
  job *j = data;
  napi_value v;
  if (status == napi_ok) {
    napi_create_int32(env, j->result, &v);
    napi_resolve_deferred(env, j->deferred, v);
  } else {
    napi_value msg;
    napi_create_string_utf8(env, "the call was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &v);
    napi_reject_deferred(env, j->deferred, v);
  }
  for (int i = 0; i < j->nrefs; i++) napi_delete_reference(env, j->refs[i]);
  napi_delete_async_work(env, j->work);
  free(j);
}

static napi_value call(napi_env env, napi_callback_info info) {
  size_t argc = MAX_ARGS;
  napi_value argv[MAX_ARGS];
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok) return NULL;
  const entry *e = data;
  intptr_t a[MAX_ARGS] = {0};
  if (unpack(env, e, argc, argv, a) < 0) return NULL;
  napi_value out;
  if (!e->async) {
    napi_create_int32(env, e->fn(a), &out);
    return out;
  }
  job *j = calloc(1, sizeof *j);
  if (!j) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  j->e = e;
  memcpy(j->a, a, sizeof a);
  /* The arrays must outlive the call: hold them until it completes. */
  for (size_t i = 0; i < argc; i++) {
    if (e->sig[i] == 'b' && a[i]) napi_create_reference(env, argv[i], 1, &j->refs[j->nrefs++]);
  }
  napi_value name;
  napi_create_string_utf8(env, e->name, NAPI_AUTO_LENGTH, &name);
  if (napi_create_promise(env, &j->deferred, &out) != napi_ok ||
      napi_create_async_work(env, NULL, name, job_execute, job_complete, j, &j->work) != napi_ok ||
      napi_queue_async_work(env, j->work) != napi_ok) {
    for (int i = 0; i < j->nrefs; i++) napi_delete_reference(env, j->refs[i]);
    free(j);
    napi_throw_error(env, NULL, "cannot queue the call");
    return NULL;
  }
  return out;
}

NAPI_MODULE_INIT() {
  napi_value sigs;
  napi_create_object(env, &sigs);
  for (size_t i = 0; i < NENTRIES; i++) {
    const entry *e = &ENTRIES[i];
    napi_value fn, sig;
    napi_create_function(env, e->name, NAPI_AUTO_LENGTH, call, (void *)e, &fn);
    napi_set_named_property(env, exports, e->name, fn);
    char s[MAX_ARGS + 2];
    strcpy(s, e->sig);
    if (e->async) strcat(s, "*");
    napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &sig);
    napi_set_named_property(env, sigs, e->name, sig);
  }
  napi_set_named_property(env, exports, "signatures", sigs);
  return exports;
}

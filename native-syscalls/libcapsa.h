/* libcapsa's exported functions: defined in libcapsa.c (which includes this header, so the
 * compiler checks each definition against its declaration) and called by node_addon.c. The
 * types are spelled out (no typedefs) so both a freestanding and a libc build can include it.
 * Every function returns its result or -errno. */
#ifndef CAPSA_LIBCAPSA_H
#define CAPSA_LIBCAPSA_H

int capsa_socketpair(int *fds);
int capsa_init_fd(const char *path);
int capsa_spawn(int init_fd, unsigned long long clone_flags, int sync_fd, int in_fd, int out_fd, int err_fd,
                const int *preserve, int npreserve, int *pidfd_out);
int capsa_wait(int pid, int *status, int options);
int capsa_read(int fd, void *buf, int len);
int capsa_write(int fd, const void *buf, int len);
int capsa_close(int fd);
int capsa_kill(int pid, int sig);
int capsa_pidfd_send_signal(int pidfd, int sig);
int capsa_pidfd_open(int pid);
int capsa_open(const char *path, int flags, int mode);
int capsa_mkfifo(const char *path, int mode);
int capsa_poll(int fd, int events, int timeout_ms);
int capsa_cgroup_prime(const char *procs, int stop_fd, int period_ms, int max_ms);
int capsa_set_subreaper(int on);
int capsa_exit(int code);
int capsa_flock(int fd, int op);
int capsa_pipe(int *fds);
int capsa_connect_unix(const char *path);
int capsa_listen_unix(const char *path, int backlog);
int capsa_accept(int fd);
int capsa_recv_fd(int sock, char *name, int cap, int *namelen);
int capsa_send_fd(int sock, const void *data, int len, int fd);
int capsa_seccomp_notif_recv(int fd, void *out);
int capsa_seccomp_notif_send(int fd, const void *resp);
int capsa_tty_raw(int fd, void *saved);
int capsa_tty_set(int fd, const void *saved);
int capsa_get_winsize(int fd, unsigned short *size);
int capsa_set_winsize(int fd, int rows, int cols);
int capsa_pump(int in, int pty, int out, int stop);
int capsa_bpf_device_attach(const void *insns, int n, const char *license, int cgroup_fd, char *log, int log_len);

#endif

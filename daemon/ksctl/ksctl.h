/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ksctl: every command line is parsed whole into a struct ksctl_req before
 * anything is sent, so a bad one sends nothing. The objects (service.c,
 * backend.c, ...) each parse their words and point req->run at the function
 * that talks to the kernel; only ksctl.c prints errors.
 */
#ifndef KSCTL_H
#define KSCTL_H

#include <stdbool.h>
#include <stdio.h>

#include "ksvc.h"

#define KSCTL_ERR_MAX	512

struct ksctl_req;
typedef int (*ksctl_run_fn)(struct ksctl_req *req, struct ksvc *ks);

struct ksctl_req {
	const char *cmd;		/* "service add": errors start with it */
	ksctl_run_fn run;		/* NULL: nothing to do (help, version) */
	bool json;			/* -j */
	bool has_name;			/* svc.name was given */
	struct ksvc_service svc;	/* the service and its fields, backends */
	uint32_t flags_mask;		/* the svc.flags bits given */
	struct ksvc_config cfg;		/* config set */
	char err[KSCTL_ERR_MAX];	/* the usage error, without "ksctl: " */
	struct ksvc_err kerr;		/* the library's or kernel's message */
	void *priv;			/* a command's own state (restore) */
	void (*priv_free)(void *priv);
};

/* Where ksctl writes and how it reaches the kernel; tests swap these. */
struct ksctl_env {
	FILE *in;			/* restore reads it */
	FILE *out;
	FILE *err;
	int (*open)(struct ksvc **ksp, struct ksvc_err *err);
};
extern struct ksctl_env ksctl_env;

/* The whole program: 0, 1 when an operation failed, 2 for a usage error. */
int ksctl_main(int argc, char **argv);
/* The command line into req: 0, or -EINVAL with req->err set. */
int ksctl_parse(int argc, char **argv, struct ksctl_req *req);
void ksctl_req_init(struct ksctl_req *req);
void ksctl_req_release(struct ksctl_req *req);

/* Each object's words, argv[0] being the object itself. */
int service_parse(int argc, char **argv, struct ksctl_req *req);
int backend_parse(int argc, char **argv, struct ksctl_req *req);
int stats_parse(int argc, char **argv, struct ksctl_req *req);
int flush_parse(int argc, char **argv, struct ksctl_req *req);
int config_parse(int argc, char **argv, struct ksctl_req *req);
int dump_parse(int argc, char **argv, struct ksctl_req *req);
int restore_parse(int argc, char **argv, struct ksctl_req *req);

/* args.c: the pieces of parsing the objects share. */
int ksctl_usage(struct ksctl_req *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ksctl_parse_name(struct ksctl_req *req, int argc, char **argv, int i);
int ksctl_no_more(struct ksctl_req *req, int argc, char **argv, int i);
int ksctl_parse_unicast(struct ksctl_req *req, const char *what,
			const char *s, struct ksvc_addr *addr);
int ksctl_parse_cidrs(struct ksctl_req *req, const char *what,
		      const char *many, const char *val,
		      struct ksvc_cidr *out, size_t *n, size_t max);
int ksctl_parse_endpoint(struct ksctl_req *req, const char *s,
			 struct ksvc_backend *be, bool *has_weight);
/* A dump of one service (req->svc.name) or all, sorted by name. */
int ksctl_list(struct ksctl_req *req, struct ksvc *ks, unsigned int flags,
	       struct ksvc_service_list *list);

/* table.c: what people read. */
void table_services(FILE *f, const struct ksvc_service_list *list);
void table_service(FILE *f, const struct ksvc_service *svc);
void table_stats(FILE *f, const struct ksvc_service_list *list);
void table_config(FILE *f, const struct ksvc_config *cfg);

/* json.c: what programs read (-j). */
int json_services(FILE *f, const struct ksvc_service_list *list);
int json_service(FILE *f, const struct ksvc_service *svc);
int json_stats(FILE *f, const struct ksvc_service_list *list);
int json_config(FILE *f, const struct ksvc_config *cfg);

/* dump.c: what scripts read. */
void dump_services(FILE *f, const struct ksvc_service_list *list);

#endif /* KSCTL_H */

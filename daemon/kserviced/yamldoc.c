// SPDX-License-Identifier: GPL-2.0
/*
 * libyaml events to cJSON; see yaml.h.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "yamldoc.h"

struct anchor {
	char *name;
	const cJSON *node;
};

struct yp {
	yaml_parser_t parser;
	char *why;
	size_t nodes;
	struct anchor *anchors;
	size_t nanchors;
};

static int fail_at(struct yp *y, const yaml_mark_t *m, const char *what)
{
	snprintf(y->why, KSD_YAML_WHY_MAX, "line %zu column %zu: %s",
		 m->line + 1, m->column + 1, what);
	return -EINVAL;
}

static int next(struct yp *y, yaml_event_t *ev)
{
	yaml_parser_t *p = &y->parser;

	if (yaml_parser_parse(p, ev))
		return 0;
	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	snprintf(y->why, KSD_YAML_WHY_MAX, "line %zu column %zu: %s%s%s",
		 p->problem_mark.line + 1, p->problem_mark.column + 1,
		 p->problem ? p->problem : "syntax error",
		 p->context ? " " : "", p->context ? p->context : "");
	return -EINVAL;
}

static bool one_of(const char *s, const char *const *v)
{
	for (; *v; v++)
		if (!strcmp(s, *v))
			return true;
	return false;
}

static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
/* YAML 1.1's booleans but the one-letter y/n, which Kubernetes' reader
 * leaves as strings too (a `name: y` is a name). */
static const char *const trues[] = { "yes", "Yes", "YES", "true", "True",
				     "TRUE", "on", "On", "ON", NULL };
static const char *const falses[] = { "no", "No", "NO", "false", "False",
				      "FALSE", "off", "Off", "OFF", NULL };

/* Copies s without '_' (YAML 1.1 digit separators) into buf. */
static bool strip(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == '_')
			continue;
		if (n + 1 >= len)
			return false;
		buf[n++] = *s;
	}
	buf[n] = 0;
	return n > 0;
}

/* YAML 1.1 integers: decimal, 0b binary, 0 octal, 0x hex, with a sign. */
static bool yaml_int(const char *s, double *out)
{
	char buf[80], *end, *p = buf;
	int base = 10, sign = 1;
	unsigned long long v;
	size_t i;

	if (!strip(s, buf, sizeof(buf)) || !strcmp(s, "_"))
		return false;
	if (*p == '-' || *p == '+')
		sign = *p++ == '-' ? -1 : 1;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
	} else if (p[0] == '0' && p[1]) {
		base = 8;
		p += 1;
	}
	if (!*p)
		return false;
	for (i = 0; p[i]; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		if (d >= base)
			return false;
	}
	errno = 0;
	v = strtoull(p, &end, base);
	if (errno || *end)
		return false;
	*out = sign * (double)v;
	return true;
}

/* YAML 1.1 floats: digits with a '.' and an optional exponent, .inf, .nan.
 * JSON has no infinity or NaN; they stay strings. */
static bool yaml_float(const char *s, double *out)
{
	char buf[80], *end;
	const char *p;
	bool dot = false, digit = false;

	if (!strip(s, buf, sizeof(buf)))
		return false;
	p = buf;
	if (*p == '-' || *p == '+')
		p++;
	for (; *p && *p != 'e' && *p != 'E'; p++) {
		if (*p == '.')
			dot = true;
		else if (*p >= '0' && *p <= '9')
			digit = true;
		else
			return false;
	}
	if (!dot || !digit)
		return false;
	errno = 0;
	*out = strtod(buf, &end);
	return !errno && !*end && isfinite(*out);
}

static const char *short_tag(const char *tag)
{
	static const char pfx[] = "tag:yaml.org,2002:";

	if (tag && !strncmp(tag, pfx, sizeof(pfx) - 1))
		return tag + sizeof(pfx) - 1;
	return tag;
}

static int scalar(struct yp *y, const yaml_event_t *ev, cJSON **out)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = short_tag((const char *)ev->data.scalar.tag);
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	double d;

	if (tag && !strcmp(tag, "!"))
		tag = "str";	/* the non-specific tag: a string */
	if (tag && strcmp(tag, "str") && strcmp(tag, "int") &&
	    strcmp(tag, "float") && strcmp(tag, "bool") && strcmp(tag, "null"))
		return fail_at(y, &ev->start_mark, "unsupported tag");
	if (tag ? !strcmp(tag, "str") : !plain)
		*out = cJSON_CreateString(s);
	else if ((!tag || !strcmp(tag, "null")) && one_of(s, nulls))
		*out = cJSON_CreateNull();
	else if ((!tag || !strcmp(tag, "bool")) && one_of(s, trues))
		*out = cJSON_CreateTrue();
	else if ((!tag || !strcmp(tag, "bool")) && one_of(s, falses))
		*out = cJSON_CreateFalse();
	else if ((!tag || !strcmp(tag, "int") || !strcmp(tag, "float")) &&
		 (yaml_int(s, &d) ||
		  ((!tag || !strcmp(tag, "float")) && yaml_float(s, &d))))
		*out = cJSON_CreateNumber(d);
	else if (!tag)
		*out = cJSON_CreateString(s);
	else
		return fail_at(y, &ev->start_mark,
			       "scalar does not match its tag");
	return *out ? 0 : -ENOMEM;
}

static size_t count(const cJSON *j)
{
	const cJSON *c;
	size_t n = 1;

	cJSON_ArrayForEach(c, j)
		n += count(c);
	return n;
}

static int add_anchor(struct yp *y, const yaml_char_t *name,
		      const cJSON *node)
{
	struct anchor *a;

	if (!name)
		return 0;
	a = realloc(y->anchors, (y->nanchors + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	y->anchors = a;
	a[y->nanchors].name = strdup((const char *)name);
	if (!a[y->nanchors].name)
		return -ENOMEM;
	a[y->nanchors++].node = node;
	return 0;
}

static void clear_anchors(struct yp *y)
{
	size_t i;

	for (i = 0; i < y->nanchors; i++)
		free(y->anchors[i].name);
	free(y->anchors);
	y->anchors = NULL;
	y->nanchors = 0;
}

static int alias(struct yp *y, const yaml_event_t *ev, cJSON **out)
{
	const char *name = (const char *)ev->data.alias.anchor;
	size_t i = y->nanchors;

	/* The latest definition wins; one still being built is not there
	 * yet, so a node cannot contain itself. */
	while (i-- > 0) {
		if (strcmp(y->anchors[i].name, name))
			continue;
		y->nodes += count(y->anchors[i].node);
		if (y->nodes > KSD_YAML_NODES_MAX)
			return fail_at(y, &ev->start_mark,
				       "aliases expand too far");
		*out = cJSON_Duplicate(y->anchors[i].node, 1);
		return *out ? 0 : -ENOMEM;
	}
	return fail_at(y, &ev->start_mark, "unknown anchor");
}

static int node(struct yp *y, yaml_event_t *ev, cJSON **out, int depth);

static int sequence(struct yp *y, cJSON *arr, int depth)
{
	yaml_event_t ev;
	cJSON *child;
	int ret;

	for (;;) {
		ret = next(y, &ev);
		if (ret)
			return ret;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		ret = node(y, &ev, &child, depth + 1);
		if (ret)
			return ret;
		cJSON_AddItemToArray(arr, child);
	}
}

static int mapping(struct yp *y, cJSON *obj, int depth)
{
	yaml_event_t ev;
	cJSON *child;
	char *key;
	int ret;

	for (;;) {
		ret = next(y, &ev);
		if (ret)
			return ret;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			ret = fail_at(y, &ev.start_mark,
				      "a mapping key must be a scalar");
			yaml_event_delete(&ev);
			return ret;
		}
		if (cJSON_GetObjectItemCaseSensitive(obj,
				(const char *)ev.data.scalar.value)) {
			ret = fail_at(y, &ev.start_mark, "duplicate key");
			yaml_event_delete(&ev);
			return ret;
		}
		key = strdup((const char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
		if (!key)
			return -ENOMEM;
		ret = next(y, &ev);
		if (!ret)
			ret = node(y, &ev, &child, depth + 1);
		if (!ret)
			cJSON_AddItemToObject(obj, key, child);
		free(key);
		if (ret)
			return ret;
	}
}

/* Builds the node that ev starts into *out, and deletes ev. */
static int node(struct yp *y, yaml_event_t *ev, cJSON **out, int depth)
{
	const yaml_char_t *anchor = NULL;
	int ret;

	*out = NULL;
	if (++y->nodes > KSD_YAML_NODES_MAX) {
		ret = fail_at(y, &ev->start_mark, "too many nodes");
	} else if (depth > KSD_YAML_DEPTH_MAX) {
		ret = fail_at(y, &ev->start_mark, "nested too deep");
	} else if (ev->type == YAML_SCALAR_EVENT) {
		anchor = ev->data.scalar.anchor;
		ret = scalar(y, ev, out);
	} else if (ev->type == YAML_ALIAS_EVENT) {
		ret = alias(y, ev, out);
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		anchor = ev->data.sequence_start.anchor;
		*out = cJSON_CreateArray();
		ret = *out ? sequence(y, *out, depth) : -ENOMEM;
	} else if (ev->type == YAML_MAPPING_START_EVENT) {
		anchor = ev->data.mapping_start.anchor;
		*out = cJSON_CreateObject();
		ret = *out ? mapping(y, *out, depth) : -ENOMEM;
	} else {
		ret = fail_at(y, &ev->start_mark, "unexpected event");
	}
	if (!ret)
		ret = add_anchor(y, anchor, *out);
	yaml_event_delete(ev);
	if (ret) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return ret;
}

static int stream(struct yp *y, cJSON *docs)
{
	yaml_event_t ev;
	cJSON *root;
	int ret;

	ret = next(y, &ev);
	if (ret)
		return ret;
	yaml_event_delete(&ev);	/* STREAM_START */
	for (;;) {
		ret = next(y, &ev);
		if (ret)
			return ret;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		yaml_event_delete(&ev);	/* DOCUMENT_START */
		ret = next(y, &ev);
		if (!ret)
			ret = node(y, &ev, &root, 0);
		clear_anchors(y);
		if (ret)
			return ret;
		if (cJSON_IsNull(root))
			cJSON_Delete(root);
		else
			cJSON_AddItemToArray(docs, root);
		ret = next(y, &ev);
		if (ret)
			return ret;
		yaml_event_delete(&ev);	/* DOCUMENT_END */
	}
}

int ksd_yaml_parse(const char *buf, size_t len, cJSON **docs, char *why)
{
	struct yp y = { .why = why };
	cJSON *arr;
	int ret;

	*why = 0;
	arr = cJSON_CreateArray();
	if (!arr || !yaml_parser_initialize(&y.parser)) {
		cJSON_Delete(arr);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)buf,
				     len);
	ret = stream(&y, arr);
	clear_anchors(&y);
	yaml_parser_delete(&y.parser);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(why, KSD_YAML_WHY_MAX, "out of memory");
		cJSON_Delete(arr);
		return ret;
	}
	*docs = arr;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kserviced's YAML reader (yamldoc.c): documents, scalar typing as
 * Kubernetes' YAML 1.1 reader does it, anchors, and refusals with a line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "yamldoc.h"

/* The documents of text as compact JSON, one per line. */
static char *as_json(const char *text)
{
	char why[KSD_YAML_WHY_MAX], *out = NULL, *s;
	size_t len = 0;
	cJSON *docs, *d;

	if (ksd_yaml_parse(text, strlen(text), &docs, why))
		fail_msg("refused: %s", why);
	out = calloc(1, 1);
	cJSON_ArrayForEach(d, docs) {
		s = cJSON_PrintUnformatted(d);
		out = realloc(out, len + strlen(s) + 2);
		memcpy(out + len, s, strlen(s));
		len += strlen(s);
		out[len++] = '\n';
		out[len] = 0;
		free(s);
	}
	cJSON_Delete(docs);
	return out;
}

static void check(const char *yaml, const char *json)
{
	char *got = as_json(yaml);

	assert_string_equal(got, json);
	free(got);
}

static void refused(const char *yaml, const char *why_expected)
{
	char why[KSD_YAML_WHY_MAX];
	cJSON *docs = NULL;

	assert_int_equal(ksd_yaml_parse(yaml, strlen(yaml), &docs, why),
			 -EINVAL);
	assert_null(docs);
	assert_string_equal(why, why_expected);
}

/* Plain scalars are typed, quoted ones stay strings. */
static void yaml_test_scalars(void **state)
{
	(void)state;
	check("a: 80\nb: \"80\"\nc: '8080'\nd: -5\ne: 0x1F\nf: 010\n"
	      "g: 1_000\nh: 1.5\ni: 08\n",
	      "{\"a\":80,\"b\":\"80\",\"c\":\"8080\",\"d\":-5,\"e\":31,"
	      "\"f\":8,\"g\":1000,\"h\":1.5,\"i\":\"08\"}\n");
	check("a: true\nb: yes\nc: On\nd: False\ne: no\nf: OFF\ng: \"true\"\n"
	      "h: truthy\ni: y\nj: N\n",
	      "{\"a\":true,\"b\":true,\"c\":true,\"d\":false,\"e\":false,"
	      "\"f\":false,\"g\":\"true\",\"h\":\"truthy\",\"i\":\"y\","
	      "\"j\":\"N\"}\n");
	check("a: ~\nb: null\nc:\nd: \"\"\ne: None\n",
	      "{\"a\":null,\"b\":null,\"c\":null,\"d\":\"\",\"e\":\"None\"}\n");
	check("a: 10.96.0.1\nb: 1.2.3\nc: TCP\nd: 2001:db8::1\n",
	      "{\"a\":\"10.96.0.1\",\"b\":\"1.2.3\",\"c\":\"TCP\","
	      "\"d\":\"2001:db8::1\"}\n");
}

/* Explicit tags win over the plain rules. */
static void yaml_test_tags(void **state)
{
	(void)state;
	check("a: !!str 80\nb: !!int \"80\"\nc: !!bool \"true\"\n"
	      "d: ! 12\ne: !!null ''\n",
	      "{\"a\":\"80\",\"b\":80,\"c\":true,\"d\":\"12\",\"e\":null}\n");
	refused("a: !!int eighty\n",
		"line 1 column 4: scalar does not match its tag");
	refused("a: !custom x\n", "line 1 column 4: unsupported tag");
}

/* Block and flow forms, multi-line strings. */
static void yaml_test_structure(void **state)
{
	(void)state;
	check("ports:\n  - port: 80\n    name: http\n  - {port: 443, "
	      "name: https}\nips: [10.0.0.1, \"10.0.0.2\"]\nnote: |\n  a\n"
	      "  b\nfolded: >\n  c\n  d\n",
	      "{\"ports\":[{\"port\":80,\"name\":\"http\"},{\"port\":443,"
	      "\"name\":\"https\"}],\"ips\":[\"10.0.0.1\",\"10.0.0.2\"],"
	      "\"note\":\"a\\nb\\n\",\"folded\":\"c d\\n\"}\n");
}

/* "---" separates documents; empty ones are left out. */
static void yaml_test_documents(void **state)
{
	(void)state;
	check("---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n---\n",
	      "{\"a\":1}\n{\"b\":2}\n");
	check("", "");
	check("- 1\n- 2\n", "[1,2]\n");
}

/* Anchors are copied where aliased; a node cannot alias itself. */
static void yaml_test_anchors(void **state)
{
	(void)state;
	check("base: &b {port: 80}\nother: *b\nlist: [*b, *b]\n",
	      "{\"base\":{\"port\":80},\"other\":{\"port\":80},"
	      "\"list\":[{\"port\":80},{\"port\":80}]}\n");
	refused("a: *nope\n", "line 1 column 4: unknown anchor");
	refused("a: &x [1, *x]\n", "line 1 column 11: unknown anchor");
	/* Anchors do not cross documents. */
	refused("a: &x 1\n---\nb: *x\n", "line 3 column 4: unknown anchor");
}

/* Expansion is bounded: the billion laughs stop early. */
static void yaml_test_alias_bomb(void **state)
{
	const char *bomb =
		"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
	char why[KSD_YAML_WHY_MAX];
	cJSON *docs = NULL;

	(void)state;
	assert_int_equal(ksd_yaml_parse(bomb, strlen(bomb), &docs, why),
			 -EINVAL);
	assert_non_null(strstr(why, "aliases expand too far"));
}

static void yaml_test_deep(void **state)
{
	char buf[2 * (KSD_YAML_DEPTH_MAX + 10) + 1];
	char why[KSD_YAML_WHY_MAX];
	cJSON *docs = NULL;
	size_t i, n = KSD_YAML_DEPTH_MAX + 10;

	(void)state;
	for (i = 0; i < n; i++) {
		buf[i] = '[';
		buf[n + i] = ']';
	}
	buf[2 * n] = 0;
	assert_int_equal(ksd_yaml_parse(buf, strlen(buf), &docs, why),
			 -EINVAL);
	assert_non_null(strstr(why, "nested too deep"));
}

/* Refusals say where. */
static void yaml_test_errors(void **state)
{
	(void)state;
	refused("a: 1\na: 2\n", "line 2 column 1: duplicate key");
	refused("? [1, 2]\n: x\n",
		"line 1 column 3: a mapping key must be a scalar");
	refused("a: [1, 2\n",
		"line 2 column 1: did not find expected ',' or ']' while "
		"parsing a flow sequence");
	refused("a:\n  b: 1\n c: 2\n",
		"line 3 column 2: did not find expected key while parsing a "
		"block mapping");
}

/* The tutorial's Service reads as the API would have it in JSON. */
static void yaml_test_tutorial(void **state)
{
	(void)state;
	check("apiVersion: v1\n"
	      "kind: Service\n"
	      "metadata:\n"
	      "  name: my-app-service\n"
	      "spec:\n"
	      "  type: ClusterIP              # default, can omit this line\n"
	      "  selector:\n"
	      "    app: my-app                # routes to Pods with this label\n"
	      "  ports:\n"
	      "    - port: 80                 # port the Service listens on\n"
	      "      targetPort: 8080         # port on the Pod\n",
	      "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":"
	      "{\"name\":\"my-app-service\"},\"spec\":{\"type\":\"ClusterIP\","
	      "\"selector\":{\"app\":\"my-app\"},\"ports\":[{\"port\":80,"
	      "\"targetPort\":8080}]}}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(yaml_test_scalars),
		cmocka_unit_test(yaml_test_tags),
		cmocka_unit_test(yaml_test_structure),
		cmocka_unit_test(yaml_test_documents),
		cmocka_unit_test(yaml_test_anchors),
		cmocka_unit_test(yaml_test_alias_bomb),
		cmocka_unit_test(yaml_test_deep),
		cmocka_unit_test(yaml_test_errors),
		cmocka_unit_test(yaml_test_tutorial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

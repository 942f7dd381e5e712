// SPDX-License-Identifier: MIT
/*
 * Machine files (docs/machine-format.md): the default machine, the examples,
 * every error class with its line, the bounds, and robustness against random
 * and mutated input (meant to run under ASan/UBSan).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/models.h"
#include "machine/machine.h"
#include "test.h"
#include "uvfio/uvfio.h"

/* ---- helpers ---------------------------------------------------------------------------- */

/*
 * The source tree, for examples/machines: UVFIO_SOURCE_ROOT when the build
 * defines it, else the environment, else derived from this file's name (meson
 * compiles with paths relative to the build directory, where tests run).
 */
static const char *source_root(void)
{
	static char root[4096];
	const char *env = getenv("UVFIO_SOURCE_ROOT");
	const char *self = __FILE__;
	const char *tail = "tests/unit/test-machine.c";
	size_t n = strlen(self), t = strlen(tail);

#ifdef UVFIO_SOURCE_ROOT
	if (!env)
		env = UVFIO_SOURCE_ROOT;
#endif
	if (env)
		return env;
	if (n >= t && !strcmp(self + n - t, tail)) {
		snprintf(root, sizeof(root), "%.*s", (int)(n - t), self);
		if (!root[0])
			snprintf(root, sizeof(root), ".");
		return root;
	}
	return ".";
}

static void example_path(char *buf, size_t len, const char *name)
{
	const char *root = source_root();
	size_t n = strlen(root);

	snprintf(buf, len, "%s%sexamples/machines/%s", root, n && root[n - 1] != '/' ? "/" : "",
		 name);
}

/* Reads a whole (small) file into a fresh NUL-terminated buffer. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		FAIL("cannot open %s (set UVFIO_SOURCE_ROOT to the source tree)", path);
	buf = calloc(1, 1 << 16);
	ASSERT_TRUE(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ASSERT_OK(fd);
	ASSERT_EQ(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static const struct machine_device *find_dev(const struct uvfio_machine *m, int domain,
					     unsigned int bus, unsigned int slot, unsigned int fn)
{
	for (unsigned int i = 0; i < m->ndevices; i++) {
		const struct machine_device *d = &m->devices[i];

		if (d->domain == domain && d->bus == bus && d->devfn == (slot << 3 | fn))
			return d;
	}
	return NULL;
}

static const char *param(const struct machine_device *d, const char *key)
{
	for (unsigned int i = 0; i < d->nparams; i++)
		if (!strcmp(d->params[i].key, key))
			return d->params[i].value;
	return NULL;
}

/* Parses text that must be rejected; checks the errno, the line and the problem. */
static void expect_error(const char *text, int line, const char *problem)
{
	struct uvfio_machine *m = (struct uvfio_machine *)1;
	char err[512] = "";
	char where[64];
	int ret;

	ret = uvfio_machine_parse(text, "t.machine", &m, err, sizeof(err));
	if (ret != -EINVAL)
		FAIL("expected -EINVAL, got %d for:\n%s", ret, text);
	ASSERT_TRUE(m == NULL);
	snprintf(where, sizeof(where), "t.machine:%d: ", line);
	if (strncmp(err, where, strlen(where)))
		FAIL("message '%s' does not start with '%s'", err, where);
	if (!strstr(err, problem))
		FAIL("message '%s' does not mention '%s'", err, problem);
}

static struct uvfio_machine *parse_ok(const char *text)
{
	struct uvfio_machine *m = NULL;
	char err[512] = "";
	int ret = uvfio_machine_parse(text, "t.machine", &m, err, sizeof(err));

	if (ret)
		FAIL("parse failed (%d): %s", ret, err);
	ASSERT_TRUE(m != NULL);
	return m;
}

/* ---- the default machine and the examples ----------------------------------------------- */

static void check_default(const struct uvfio_machine *m)
{
	static const struct {
		unsigned int bus, slot, fn;
		const char *model, *driver, *mac, *bus_param;
	} want[] = {
		{ 0, 0x00, 0, "q35-host", NULL, NULL, NULL },
		{ 0, 0x03, 0, "edu", NULL, NULL, NULL },
		{ 0, 0x04, 0, "pcie-pci-bridge", NULL, NULL, "1" },
		{ 1, 0x01, 0, "e1000", "e1000", "52:54:00:12:34:56", NULL },
		{ 1, 0x02, 0, "e1000", "e1000", "52:54:00:12:34:57", NULL },
		{ 0, 0x1f, 0, "ich9-lpc", NULL, NULL, NULL },
		{ 0, 0x1f, 2, "ich9-ahci", NULL, NULL, NULL },
		{ 0, 0x1f, 3, "ich9-smbus", NULL, NULL, NULL },
	};

	ASSERT_STREQ(m->name, "q35");
	ASSERT_EQ(m->iommu_aw_bits, 39);
	ASSERT_TRUE(m->iommu_intremap);
	ASSERT_EQ(m->ndevices, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct machine_device *d = &m->devices[i]; /* file order is kept */

		ASSERT_EQ(d->domain, 0);
		ASSERT_EQ(d->bus, want[i].bus);
		ASSERT_EQ(d->devfn, want[i].slot << 3 | want[i].fn);
		ASSERT_STREQ(d->model, want[i].model);
		ASSERT_STREQ(d->driver, want[i].driver);
		ASSERT_STREQ(param(d, "mac"), want[i].mac);
		ASSERT_STREQ(param(d, "bus"), want[i].bus_param);
		ASSERT_TRUE(param(d, "driver") == NULL);
		ASSERT_EQ(d->nparams, (want[i].mac != NULL) + (want[i].bus_param != NULL));
		ASSERT_GT(d->line, 0);
	}
}

TEST(machine, default_machine)
{
	struct uvfio_machine *m = uvfio_machine_default();

	ASSERT_TRUE(m != NULL);
	ASSERT_STREQ(m->source, "<default>");
	check_default(m);
	uvfio_machine_free(m);
}

TEST(machine, default_text_is_the_example_file)
{
	char path[4096];
	char *text;

	example_path(path, sizeof(path), "default.machine");
	text = slurp(path);
	ASSERT_STREQ(text, uvfio_machine_default_text());
	free(text);
}

TEST(machine, example_default)
{
	struct uvfio_machine *m = NULL;
	char path[4096], err[512] = "";

	example_path(path, sizeof(path), "default.machine");
	ASSERT_NEG(uvfio_machine_load(path, &m, err, sizeof(err)), 0);
	ASSERT_STREQ(m->source, path);
	check_default(m);
	uvfio_machine_free(m);
}

static struct uvfio_machine *load_example(const char *name)
{
	struct uvfio_machine *m = NULL;
	char path[4096], err[512] = "";
	int ret;

	example_path(path, sizeof(path), name);
	ret = uvfio_machine_load(path, &m, err, sizeof(err));
	if (ret)
		FAIL("%s: %d: %s", path, ret, err);
	return m;
}

static void check_root_ports(const char *file, const char *acs)
{
	struct uvfio_machine *m = load_example(file);
	const struct machine_device *rp0 = find_dev(m, 0, 0, 0x1c, 0);
	const struct machine_device *rp1 = find_dev(m, 0, 0, 0x1c, 1);
	const struct machine_device *edu = find_dev(m, 0, 2, 0, 0);
	const struct machine_device *nic = find_dev(m, 0, 3, 0, 0);

	ASSERT_TRUE(rp0 && rp1 && edu && nic);
	ASSERT_STREQ(rp0->model, "pcie-root-port");
	ASSERT_STREQ(param(rp0, "bus"), "2");
	ASSERT_STREQ(param(rp0, "acs"), acs);
	ASSERT_STREQ(param(rp1, "bus"), "3");
	ASSERT_STREQ(param(rp1, "acs"), acs);
	ASSERT_STREQ(edu->model, "edu");
	ASSERT_STREQ(nic->model, "e1000");
	ASSERT_STREQ(nic->driver, "e1000");
	uvfio_machine_free(m);
}

TEST(machine, example_root_port_noacs)
{
	check_root_ports("root-port-noacs.machine", "off");
}

TEST(machine, example_root_port_acs)
{
	check_root_ports("root-port-acs.machine", "on");
}

TEST(machine, example_two_edu)
{
	struct uvfio_machine *m = load_example("two-edu.machine");
	unsigned int nedu = 0;

	for (unsigned int i = 0; i < m->ndevices; i++)
		nedu += !strcmp(m->devices[i].model, "edu");
	ASSERT_EQ(nedu, 2);
	ASSERT_TRUE(find_dev(m, 0, 0, 5, 0) != NULL);
	uvfio_machine_free(m);
}

/* ---- accepted syntax -------------------------------------------------------------------- */

TEST(machine, minimal_and_defaults)
{
	struct uvfio_machine *m = parse_ok("device 00:03.0 edu");

	ASSERT_STREQ(m->name, "q35");
	ASSERT_STREQ(m->source, "t.machine");
	ASSERT_EQ(m->iommu_aw_bits, 39);
	ASSERT_TRUE(m->iommu_intremap);
	ASSERT_EQ(m->ndevices, 1);
	ASSERT_EQ(m->devices[0].line, 1);
	ASSERT_EQ(m->devices[0].domain, 0);
	ASSERT_EQ(m->devices[0].devfn, 3 << 3);
	ASSERT_TRUE(m->devices[0].driver == NULL);
	ASSERT_EQ(m->devices[0].nparams, 0);
	uvfio_machine_free(m);
}

TEST(machine, whitespace_comments_crlf)
{
	struct uvfio_machine *m =
		parse_ok("# héllo, a UTF-8 comment\r\n"
			 "\r\n"
			 "  \t machine\tlab-1   # trailing comment\r\n"
			 "iommu aw-bits=48 intremap=off#glued comment\n"
			 "\t\n"
			 "device 0001:00:1F.7 edu#x\n"
			 "device 1:0:0.0 edu\n"
			 "device 0001:00:1f.0\te1000   driver=none  mac=52:54:00:00:00:01");

	ASSERT_STREQ(m->name, "lab-1");
	ASSERT_EQ(m->iommu_aw_bits, 48);
	ASSERT_FALSE(m->iommu_intremap);
	ASSERT_EQ(m->ndevices, 3);
	ASSERT_EQ(m->devices[0].line, 6);
	ASSERT_EQ(m->devices[0].domain, 1);
	ASSERT_EQ(m->devices[0].bus, 0);
	ASSERT_EQ(m->devices[0].devfn, 0x1f << 3 | 7);
	ASSERT_EQ(m->devices[1].domain, 1);
	ASSERT_EQ(m->devices[1].devfn, 0);
	ASSERT_STREQ(m->devices[2].driver, "none");
	ASSERT_EQ(m->devices[2].nparams, 1);
	ASSERT_STREQ(m->devices[2].params[0].key, "mac");
	ASSERT_STREQ(m->devices[2].params[0].value, "52:54:00:00:00:01");
	uvfio_machine_free(m);
}

TEST(machine, topology_forward_references)
{
	/* Devices may come before the bridges that provide their buses. */
	struct uvfio_machine *m = parse_ok("device 02:05.0 e1000\n"
					   "device 01:00.0 pcie-pci-bridge bus=2\n"
					   "device 00:1c.0 pcie-root-port bus=1 acs=on\n"
					   "device 00:1d.0 pcie-root-port bus=0x10\n"
					   "device 10:00.0 edu\n"
					   "device 10:00.3 edu\n");

	ASSERT_EQ(m->ndevices, 6);
	ASSERT_STREQ(m->devices[0].model, "e1000"); /* file order */
	ASSERT_STREQ(param(&m->devices[3], "bus"), "0x10");
	uvfio_machine_free(m);
}

TEST(machine, bounds_accepted)
{
	char *text = malloc(64 * 1024);
	size_t len = 0;
	struct uvfio_machine *m;
	char name[64];

	ASSERT_TRUE(text);
	/* a 4096-byte line (not counting its newline) */
	len += (size_t)sprintf(text + len, "device 00:00.0 pcie-pci-bridge bus=1 #");
	memset(text + len, 'x', 4096 - len);
	len = 4096;
	text[len++] = '\n';
	/* 63-byte names, 16 parameters besides driver=, 255-byte values */
	memset(name, 'n', 63);
	name[63] = '\0';
	len += (size_t)sprintf(text + len, "machine %s\ndevice 00:00.1 edu driver=%s", name, name);
	for (int i = 0; i < MACHINE_MAX_PARAMS; i++)
		len += (size_t)sprintf(text + len, " k%d=%d", i, i);
	text[len++] = '\n';
	/* 256 devices in all */
	for (unsigned int devfn = 2; devfn < 256; devfn++)
		len += (size_t)sprintf(text + len, "device 00:%02x.%x edu\n", devfn >> 3,
				       devfn & 7);
	text[len] = '\0';

	m = parse_ok(text);
	ASSERT_EQ(m->ndevices, MACHINE_MAX_DEVICES);
	ASSERT_STREQ(m->name, name);
	ASSERT_STREQ(m->devices[1].driver, name);
	ASSERT_EQ(m->devices[1].nparams, MACHINE_MAX_PARAMS);
	ASSERT_STREQ(m->devices[1].params[15].key, "k15");
	uvfio_machine_free(m);
	free(text);
}

/* ---- every error class ------------------------------------------------------------------ */

TEST(machine, errors)
{
	static const struct {
		const char *text;
		int line;
		const char *problem;
	} cases[] = {
		/* directives and syntax */
		{ "device 00:03.0 edu\nfrobnicate 1\n", 2, "unknown directive 'frobnicate'" },
		{ "Device 00:03.0 edu\n", 1, "unknown directive" },
		{ "device 00:03.0\n", 1, "expected 'device BDF MODEL" },
		{ "device\n", 1, "expected 'device BDF MODEL" },
		{ "machine\ndevice 00:03.0 edu\n", 1, "expected 'machine NAME'" },
		{ "machine a b\ndevice 00:03.0 edu\n", 1, "expected 'machine NAME'" },
		{ "machine a/b\ndevice 00:03.0 edu\n", 1, "character '/' not allowed" },
		{ "machine a\nmachine b\ndevice 00:03.0 edu\n", 2,
		  "duplicate 'machine' line (the first is at line 1)" },
		{ "iommu\niommu\ndevice 00:03.0 edu\n", 2, "duplicate 'iommu' line" },
		/* BDF syntax and range */
		{ "device 00:03 edu\n", 1, "bad BDF '00:03'" },
		{ "device 00.03.0 edu\n", 1, "bad BDF" },
		{ "device 0:0:0:3.0 edu\n", 1, "bad BDF" },
		{ "device 00:03.0x edu\n", 1, "bad BDF" },
		{ "device 00:03. edu\n", 1, "bad BDF" },
		{ "device :03.0 edu\n", 1, "bad BDF" },
		{ "device 00:0g.0 edu\n", 1, "bad BDF" },
		{ "device 00:003.0000000000 edu\n", 1, "bad BDF" },
		{ "device 100:03.0 edu\n", 1, "bus 0x100 out of range" },
		{ "device 00:20.0 edu\n", 1, "device 0x20 out of range" },
		{ "device 00:03.8 edu\n", 1, "function 8 out of range" },
		{ "device 10000:00:03.0 edu\n", 1, "domain 0x10000 out of range" },
		/* devices */
		{ "device 00:03.0 edu\ndevice 0000:00:03.0 e1000\n", 2,
		  "duplicate device 0000:00:03.0 (the first is at line 1)" },
		{ "device 00:03.0 edu\ndevice 00:04.0 nic9000\n", 2,
		  "unknown model 'nic9000' (known: " },
		{ "device 00:04.0 nic9000\n", 1, "edu" },
		{ "device 00:04.0 pcie-root-port\n", 1, "bridge pcie-root-port needs bus=N" },
		{ "device 00:04.0 pcie-pci-bridge acs=on\n", 1,
		  "bridge pcie-pci-bridge needs bus=N" },
		{ "device 00:04.0 pcie-pci-bridge bus=0\n", 1, "bus=0: expected a bus number" },
		{ "device 00:04.0 pcie-pci-bridge bus=256\n", 1, "bus=256: expected a bus number" },
		{ "device 00:04.0 pcie-pci-bridge bus=two\n", 1, "bus=two: expected a bus number" },
		{ "device 00:04.0 pcie-pci-bridge bus=1\ndevice 01:04.0 pcie-pci-bridge bus=1\n", 2,
		  "secondary bus must be above its own bus 01" },
		{ "device 00:04.0 pcie-pci-bridge bus=1\ndevice 00:05.0 pcie-pci-bridge bus=1\n", 2,
		  "bus 01 is already created by the bridge 0000:00:04.0 at line 1" },
		{ "device 00:03.0 edu\n\ndevice 01:00.0 e1000\n", 3,
		  "device 0000:01:00.0 is on bus 01, which no bridge creates" },
		{ "device 0001:01:00.0 e1000\ndevice 00:04.0 pcie-pci-bridge bus=1\n", 1,
		  "which no bridge creates" },
		{ "device 00:1c.0 pcie-root-port bus=2\ndevice 02:01.0 edu\n", 2,
		  "PCIe link of the pcie-root-port at 0000:00:1c.0, which has only device 00" },
		{ "device 00:03.0 edu\ndevice 00:1f.2 edu\n", 2, "the slot has no function 0" },
		{ "device 00:04.0 pcie-pci-bridge bus=1\n"
		  "device 00:05.0 pcie-pci-bridge bus=2\n"
		  "device 01:01.0 pcie-pci-bridge bus=3\n",
		  1, "forwards buses 01-03, which include bus 02 of the bridge 0000:00:05.0" },
		/* parameters */
		{ "device 00:03.0 edu foo\n", 1, "'foo' is not a parameter (expected key=value)" },
		{ "device 00:03.0 edu =1\n", 1, "empty parameter name" },
		{ "device 00:03.0 edu a=\n", 1, "parameter 'a' has an empty value" },
		{ "device 00:03.0 edu a=1 b=2 a=3\n", 1, "duplicate parameter 'a'" },
		{ "device 00:03.0 edu driver=e1000 driver=none\n", 1,
		  "duplicate parameter 'driver'" },
		{ "device 00:03.0 edu driver=a/b\n", 1, "driver name 'a/b'" },
		{ "device 00:03.0 edu k%y=1\n", 1, "character '%' not allowed" },
		{ "device 00:03.0 edu a=\"x\"\n", 1, "quotes are not supported" },
		{ "iommu aw-bits=31\ndevice 00:03.0 edu\n", 1, "aw-bits=31: expected" },
		{ "iommu aw-bits=65\ndevice 00:03.0 edu\n", 1, "aw-bits=65" },
		{ "iommu aw-bits=0x30\ndevice 00:03.0 edu\n", 1, "aw-bits=0x30" },
		{ "iommu aw-bits=99999999999999999999\ndevice 00:03.0 edu\n", 1, "aw-bits=" },
		{ "iommu intremap=yes\ndevice 00:03.0 edu\n", 1,
		  "intremap=yes: expected on or off" },
		{ "iommu caching-mode=on\ndevice 00:03.0 edu\n", 1,
		  "unknown iommu parameter 'caching-mode'" },
		{ "iommu intremap=on intremap=off\ndevice 00:03.0 edu\n", 1,
		  "duplicate parameter 'intremap'" },
		{ "iommu on\ndevice 00:03.0 edu\n", 1, "'on' is not a parameter" },
		/* text */
		{ "device 00:03.0 edu\x01\n", 1, "control character 0x01: not a text file" },
		{ "# \x1b[31m\ndevice 00:03.0 edu\n", 1, "control character 0x1b" },
		{ "device 00:03.0 edu\rdevice 00:04.0 edu\n", 1, "control character 0x0d" },
		{ "device 00:03.0 \xc3\xa9\n", 1, "non-ASCII byte 0xc3 outside a comment" },
		{ "", 1, "no devices" },
		{ "# nothing\n\nmachine q35\n", 3, "no devices" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		expect_error(cases[i].text, cases[i].line, cases[i].problem);
}

TEST(machine, error_bounds)
{
	char *text = malloc(64 * 1024);
	size_t len = 0;

	ASSERT_TRUE(text);
	/* a line of 4097 bytes */
	len = (size_t)sprintf(text, "device 00:03.0 edu\n#");
	memset(text + len, 'x', 4097 - 1);
	len += 4096;
	strcpy(text + len, "\n");
	expect_error(text, 2, "line too long (at most 4096 bytes)");

	/* names of 64 bytes */
	len = (size_t)sprintf(text, "machine ");
	memset(text + len, 'm', 64);
	strcpy(text + len + 64, "\ndevice 00:03.0 edu\n");
	expect_error(text, 1, "is too long (at most 63 bytes)");
	len = (size_t)sprintf(text, "device 00:03.0 edu driver=");
	memset(text + len, 'd', 64);
	strcpy(text + len + 64, "\n");
	expect_error(text, 1, "driver name 'dddddddddddddddd...' is too long");
	len = (size_t)sprintf(text, "device 00:03.0 edu ");
	memset(text + len, 'k', 64);
	strcpy(text + len + 64, "=1\n");
	expect_error(text, 1, "parameter name");
	len = (size_t)sprintf(text, "device 00:03.0 ");
	memset(text + len, 'e', 64);
	strcpy(text + len + 64, "\n");
	expect_error(text, 1, "model name");
	/* a 256-byte value */
	len = (size_t)sprintf(text, "device 00:03.0 edu v=");
	memset(text + len, 'v', 256);
	strcpy(text + len + 256, "\n");
	expect_error(text, 1, "value of 'v' is too long (at most 255 bytes)");

	/* 17 parameters besides driver=, and far too many words */
	len = (size_t)sprintf(text, "device 00:03.0 edu driver=none");
	for (int i = 0; i < MACHINE_MAX_PARAMS + 1; i++)
		len += (size_t)sprintf(text + len, " k%d=%d", i, i);
	strcpy(text + len, "\n");
	expect_error(text, 1, "too many parameters (at most 16)");
	len = (size_t)sprintf(text, "device 00:03.0 edu\niommu");
	for (int i = 0; i < 100; i++)
		len += (size_t)sprintf(text + len, " k%d=%d", i, i);
	strcpy(text + len, "\n");
	expect_error(text, 2, "too many parameters");

	/* 257 devices */
	len = (size_t)sprintf(text, "device 00:00.0 pcie-pci-bridge bus=1\n");
	for (unsigned int devfn = 1; devfn < 256; devfn++)
		len += (size_t)sprintf(text + len, "device 00:%02x.%x edu\n", devfn >> 3,
				       devfn & 7);
	sprintf(text + len, "device 01:00.0 edu\n");
	expect_error(text, 257, "too many devices (at most 256)");
	free(text);
}

TEST(machine, error_buffer_handling)
{
	struct uvfio_machine *m;
	char small[8];

	/* No buffer, an empty one, a short one: the result stands, the message is cut. */
	ASSERT_NEG(uvfio_machine_parse("bogus", "t", &m, NULL, 0), EINVAL);
	ASSERT_TRUE(m == NULL);
	ASSERT_NEG(uvfio_machine_parse("bogus", "t", &m, small, 0), EINVAL);
	memset(small, 'z', sizeof(small));
	ASSERT_NEG(uvfio_machine_parse("bogus", "t", &m, small, sizeof(small)), EINVAL);
	ASSERT_STREQ(small, "t:1: un");
	ASSERT_NEG(uvfio_machine_parse(NULL, "t", &m, small, sizeof(small)), EINVAL);
	ASSERT_NEG(uvfio_machine_parse("device 00:03.0 edu", NULL, NULL, NULL, 0), EINVAL);
	/* No source name: a placeholder. */
	char err[128];
	ASSERT_NEG(uvfio_machine_parse("bogus", NULL, &m, err, sizeof(err)), EINVAL);
	ASSERT_TRUE(strstr(err, ":1: unknown directive") != NULL);
	uvfio_machine_free(NULL);
}

TEST(machine, load_errors)
{
	struct uvfio_machine *m = (struct uvfio_machine *)1;
	char path[4096], err[512];
	char *big;

	snprintf(path, sizeof(path), "%s/missing.machine", test_tmpdir());
	ASSERT_NEG(uvfio_machine_load(path, &m, err, sizeof(err)), ENOENT);
	ASSERT_TRUE(m == NULL);
	ASSERT_TRUE(strstr(err, path) == err);
	ASSERT_TRUE(strstr(err, "No such file or directory") != NULL);

	ASSERT_NEG(uvfio_machine_load(test_tmpdir(), &m, err, sizeof(err)), EISDIR);
	ASSERT_TRUE(strstr(err, "not a regular file (a directory)") != NULL);
	/* A FIFO would block the open and the read for ever; a device is no machine. */
	snprintf(path, sizeof(path), "%s/fifo.machine", test_tmpdir());
	ASSERT_OK(mkfifo(path, 0600));
	ASSERT_NEG(uvfio_machine_load(path, &m, err, sizeof(err)), EINVAL);
	ASSERT_TRUE(strstr(err, "not a regular file") != NULL);
	ASSERT_NEG(uvfio_machine_load("/dev/zero", &m, err, sizeof(err)), EINVAL);
	ASSERT_TRUE(m == NULL);

	snprintf(path, sizeof(path), "%s/nul.machine", test_tmpdir());
	write_file(path, "device 00:03.0 edu\n# \0 \n", 24);
	ASSERT_NEG(uvfio_machine_load(path, &m, err, sizeof(err)), EINVAL);
	ASSERT_TRUE(strstr(err, ":2: NUL byte: not a text file") != NULL);
	ASSERT_TRUE(strstr(err, path) == err);

	snprintf(path, sizeof(path), "%s/binary.machine", test_tmpdir());
	write_file(path,
		   "\x7f"
		   "ELF\x02\x01\x01\0\0\0",
		   10);
	ASSERT_NEG(uvfio_machine_load(path, &m, err, sizeof(err)), EINVAL);
	ASSERT_TRUE(strstr(err, ":1: control character 0x7f: not a text file") != NULL);

	snprintf(path, sizeof(path), "%s/empty.machine", test_tmpdir());
	write_file(path, "", 0);
	ASSERT_NEG(uvfio_machine_load(path, &m, err, sizeof(err)), EINVAL);
	ASSERT_TRUE(strstr(err, ":1: no devices") != NULL);

	/* Larger than 1 MiB: refused before parsing. */
	snprintf(path, sizeof(path), "%s/big.machine", test_tmpdir());
	big = malloc((1 << 20) + 1);
	ASSERT_TRUE(big);
	memset(big, '\n', (1 << 20) + 1);
	memcpy(big, "device 00:03.0 edu", 18);
	write_file(path, big, (1 << 20) + 1);
	ASSERT_NEG(uvfio_machine_load(path, &m, err, sizeof(err)), EFBIG);
	ASSERT_TRUE(strstr(err, "too large") != NULL);
	/* Exactly 1 MiB is fine. */
	write_file(path, big, 1 << 20);
	ASSERT_NEG(uvfio_machine_load(path, &m, err, sizeof(err)), 0);
	ASSERT_EQ(m->ndevices, 1);
	uvfio_machine_free(m);
	free(big);

	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "%s/noperm.machine", test_tmpdir());
		write_file(path, "device 00:03.0 edu\n", 19);
		ASSERT_OK(chmod(path, 0));
		ASSERT_NEG(uvfio_machine_load(path, &m, err, sizeof(err)), EACCES);
		ASSERT_TRUE(strstr(err, "Permission denied") != NULL);
	}
}

/* ---- robustness ------------------------------------------------------------------------- */

/* xorshift64*: deterministic, so a failure reproduces. */
static u64 rnd(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* Anything the parser returns must be well formed; errors must name the source. */
static void check_result(int ret, struct uvfio_machine *m, const char *err, const char *text)
{
	if (ret) {
		if (ret != -EINVAL && ret != -EFBIG)
			FAIL("unexpected %d for:\n%s", ret, text);
		ASSERT_TRUE(m == NULL);
		if (strncmp(err, "f.machine:", 10))
			FAIL("message '%s' does not name the source", err);
		return;
	}
	ASSERT_TRUE(m != NULL);
	ASSERT_GE(m->ndevices, 1);
	ASSERT_LE(m->ndevices, MACHINE_MAX_DEVICES);
	ASSERT_GE(m->iommu_aw_bits, 32);
	ASSERT_LE(m->iommu_aw_bits, 64);
	ASSERT_LT(strlen(m->name), MACHINE_NAME_MAX);
	for (unsigned int i = 0; i < m->ndevices; i++) {
		const struct machine_device *d = &m->devices[i];
		bool has_bus = d->bus == 0;

		ASSERT_LE(d->bus, 0xff);
		ASSERT_LE(d->devfn, 0xff);
		ASSERT_LE(d->domain, 0xffff);
		ASSERT_LE(d->nparams, MACHINE_MAX_PARAMS);
		ASSERT_TRUE(d->model && strlen(d->model) < MACHINE_NAME_MAX);
		/* every bus is the root bus or some bridge's bus= */
		for (unsigned int j = 0; !has_bus && j < m->ndevices; j++) {
			const char *b = param(&m->devices[j], "bus");
			unsigned long long v;

			if (b && m->devices[j].domain == d->domain && !model_param_u64(b, &v) &&
			    v == d->bus)
				has_bus = true;
		}
		ASSERT_TRUE(has_bus);
	}
	uvfio_machine_free(m);
}

static void parse_check(const char *text)
{
	struct uvfio_machine *m = (struct uvfio_machine *)1;
	char err[256] = "";
	int ret = uvfio_machine_parse(text, "f.machine", &m, err, sizeof(err));

	check_result(ret, m, err, text);
}

TEST(machine, fuzz_random_bytes)
{
	static const char alphabet[] = "device 0:.f1= \n#bus=pcie-root-port edu\t";
	u64 seed = 0x5eed0001;
	char buf[1024];

	for (int iter = 0; iter < 10000; iter++) {
		size_t len = rnd(&seed) % (sizeof(buf) - 1);
		unsigned int mode = rnd(&seed) % 3;

		for (size_t i = 0; i < len; i++) {
			u64 r = rnd(&seed);

			if (mode == 0) /* any byte */
				buf[i] = (char)r;
			else if (mode == 1) /* printable with line breaks */
				buf[i] = r % 16 ? (char)(0x20 + (r >> 8) % 95) : '\n';
			else /* the alphabet of machine files */
				buf[i] = alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
		}
		buf[len] = '\0';
		parse_check(buf);
	}
}

TEST(machine, fuzz_mutations_of_default)
{
	static const char *const tokens[] = {
		"device ",
		"iommu ",
		"machine ",
		" bus=",
		" bus=2",
		" bus=1",
		" driver=",
		" driver=none",
		"pcie-root-port",
		"pcie-pci-bridge",
		"edu",
		"e1000",
		" acs=off",
		"0000:",
		"00:",
		"01:",
		"02:",
		"ff:",
		"1f.",
		".0",
		".7",
		".8",
		"=",
		"#",
		"\n",
		"\r\n",
		"\t",
		" ",
		"\"",
		"\xff",
		"\x01",
		"aw-bits=48",
		"intremap=",
		"q35-host",
		"device 02:00.0 edu\n",
		"device 00:1c.0 pcie-root-port bus=2\n",
		"device 01:00.0 pcie-pci-bridge bus=3\n",
		"device 03:00.1 edu\n",
	};
	const char *base = uvfio_machine_default_text();
	size_t base_len = strlen(base);
	char *buf = malloc(base_len * 4 + 1024);
	u64 seed = 0x5eed0002;

	ASSERT_TRUE(buf);
	for (int iter = 0; iter < 10000; iter++) {
		size_t len = base_len;
		unsigned int nmut = 1 + rnd(&seed) % 8;

		memcpy(buf, base, len);
		for (unsigned int k = 0; k < nmut; k++) {
			size_t pos = len ? rnd(&seed) % (len + 1) : 0;
			u64 r = rnd(&seed);

			switch (r % 5) {
			case 0: /* flip a byte */
				if (pos < len)
					buf[pos] = (char)(r >> 8);
				break;
			case 1: /* delete a run */
				if (pos < len) {
					size_t n = min((size_t)((r >> 8) % 16 + 1), len - pos);

					memmove(buf + pos, buf + pos + n, len - pos - n);
					len -= n;
				}
				break;
			case 2: /* insert a token */
			case 3: {
				const char *t = tokens[(r >> 8) % ARRAY_SIZE(tokens)];
				size_t n = strlen(t);

				if (len + n > base_len * 4)
					break;
				memmove(buf + pos + n, buf + pos, len - pos);
				memcpy(buf + pos, t, n);
				len += n;
				break;
			}
			case 4: /* duplicate a run */
				if (pos < len) {
					size_t n = min((size_t)((r >> 8) % 64 + 1), len - pos);

					if (len + n > base_len * 4)
						break;
					memmove(buf + pos + n, buf + pos, len - pos);
					len += n;
				}
				break;
			}
		}
		buf[len] = '\0';
		parse_check(buf);
	}
	free(buf);
}

TEST(machine, fuzz_random_topologies)
{
	u64 seed = 0x5eed0003;
	char *buf = malloc(64 * 1024);

	ASSERT_TRUE(buf);
	for (int iter = 0; iter < 2000; iter++) {
		unsigned int n = 1 + rnd(&seed) % 24;
		size_t len = 0;

		for (unsigned int i = 0; i < n; i++) {
			u64 r = rnd(&seed);
			unsigned int bus = r % 4 ? (r >> 8) % 6 : 0;
			unsigned int slot = (r >> 16) % 3, fn = (r >> 24) % 3 ? 0 : (r >> 28) % 2;

			if ((r >> 32) % 3 == 0)
				len += (size_t)sprintf(
					buf + len, "device %02x:%02x.%x %s bus=%u\n", bus, slot, fn,
					(r >> 40) % 2 ? "pcie-root-port" : "pcie-pci-bridge",
					(unsigned int)((r >> 48) % 7));
			else
				len += (size_t)sprintf(buf + len, "device %02x:%02x.%x edu\n", bus,
						       slot, fn);
		}
		parse_check(buf);
	}
	free(buf);
}

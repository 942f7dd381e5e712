// SPDX-License-Identifier: MIT
/*
 * The machine-file parser (docs/machine-format.md). One pass over the lines
 * checks bytes, syntax and per-line rules; a second pass over the parsed
 * devices checks the bus topology, which may refer forward (a device can be
 * written before the bridge that provides its bus). The first problem found
 * ends the parse: the caller gets -EINVAL and "source:line: problem".
 *
 * Every size is bounded before use: the text (MACHINE_MAX_TEXT), a line
 * (MACHINE_MAX_LINE), a word, the parameters of a line and the devices.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strerror_r returning the message */
#endif
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/models.h"
#include "machine/machine.h"
#include "mdev/mdev.h"
#include "uvfio/uvfio.h"

#define MACHINE_MAX_TEXT (1u << 20) /* bytes in a machine file */
#define MACHINE_MAX_LINE 4096 /* bytes in a line, without its terminator */
#define MACHINE_VALUE_MAX 256 /* bytes in a parameter value, with the NUL */
/* directive, BDF, model, then parameters and driver= */
#define MACHINE_MAX_WORDS (3 + MACHINE_MAX_PARAMS + 1)

#define DEFAULT_AW_BITS 39

/*
 * Models whose secondary bus is a PCIe link. Linux scans only device 0 behind
 * a PCIe downstream port (only_one_child() in drivers/pci/probe.c), so other
 * device numbers there would never be seen by a real kernel.
 */
static const char *const link_bridge_models[] = { "pcie-root-port" };

struct parser {
	const char *source;
	int line;
	char *err;
	size_t errlen;
	struct uvfio_machine *m;
	unsigned int devices_cap;
	int machine_line; /* where the machine / iommu lines were, 0: not yet */
	int iommu_line;
	/* per device: the secondary bus it creates (bridges), else -1 */
	int secondary[MACHINE_MAX_DEVICES];
	/* per device: the bridge that provides its bus, -1 for a root bus */
	int parent[MACHINE_MAX_DEVICES];
};

static int __printf(3, 4) parse_error_at(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%d: ", p->source, line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

#define parse_error(p, ...) parse_error_at(p, (p)->line, __VA_ARGS__)

static void set_err(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Locale-independent character classes: machine files are ASCII. */
static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A name (model, driver, machine, parameter key): [A-Za-z0-9._-], 1..63 bytes. */
static int check_name(struct parser *p, const char *what, const char *s)
{
	size_t len = strlen(s);

	if (!len)
		return parse_error(p, "empty %s", what);
	if (len >= MACHINE_NAME_MAX)
		return parse_error(p, "%s '%.16s...' is too long (at most %d bytes)", what, s,
				   MACHINE_NAME_MAX - 1);
	for (const char *c = s; *c; c++)
		if (!is_name_char(*c))
			return parse_error(p,
					   "%s '%s': character '%c' not allowed (only letters, "
					   "digits, '-', '_' and '.')",
					   what, s, *c);
	return 0;
}

/*
 * One hexadecimal BDF field: up to 8 digits are read so that an out-of-range
 * value gets a range message rather than a syntax one.
 */
static const char *parse_hex_field(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	int n = 0, d;

	while ((d = hex_digit(*s)) >= 0) {
		if (++n > 8)
			return NULL;
		v = v * 16 + (unsigned long)d;
		s++;
	}
	if (!n)
		return NULL;
	*out = v;
	return s;
}

static int parse_bdf(struct parser *p, const char *s, struct machine_device *dev)
{
	unsigned long f[4], domain = 0, bus, slot, fn;
	const char *c = s;
	int n = 0;

	/* [DDDD:]BB:DD.F: two or three ':'-separated fields, then '.' and the function */
	for (;;) {
		c = parse_hex_field(c, &f[n]);
		if (!c)
			goto syntax;
		n++;
		if (*c == ':' && n < 3) {
			c++;
			continue;
		}
		if (*c == '.' && (n == 2 || n == 3))
			break;
		goto syntax;
	}
	c = parse_hex_field(c + 1, &fn);
	if (!c || *c)
		goto syntax;
	if (n == 3)
		domain = f[0];
	bus = f[n - 2];
	slot = f[n - 1];
	if (domain > 0xffff)
		return parse_error(p, "BDF %s: domain 0x%lx out of range (at most ffff)", s,
				   domain);
	if (bus > 0xff)
		return parse_error(p, "BDF %s: bus 0x%lx out of range (at most ff)", s, bus);
	if (slot > 0x1f)
		return parse_error(p, "BDF %s: device 0x%lx out of range (at most 1f)", s, slot);
	if (fn > 7)
		return parse_error(p, "BDF %s: function %lx out of range (at most 7)", s, fn);
	dev->domain = (int)domain;
	dev->bus = (unsigned int)bus;
	dev->devfn = (unsigned int)(slot << 3 | fn);
	return 0;
syntax:
	return parse_error(p, "bad BDF '%s' (expected DDDD:BB:DD.F or BB:DD.F, in hexadecimal)", s);
}

static void format_bdf(char *buf, size_t len, const struct machine_device *dev)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", (unsigned int)dev->domain & 0xffff, dev->bus & 0xff,
		 (dev->devfn >> 3) & 0x1f, dev->devfn & 7);
}

/*
 * Splits a word "key=value" in place. Returns the value, or NULL after
 * reporting the problem.
 */
static char *split_param(struct parser *p, char *word, int *ret)
{
	char *eq = strchr(word, '=');
	char *value;

	if (!eq) {
		*ret = parse_error(p, "'%s' is not a parameter (expected key=value)", word);
		return NULL;
	}
	*eq = '\0';
	value = eq + 1;
	*ret = check_name(p, "parameter name", word);
	if (*ret)
		return NULL;
	if (!*value) {
		*ret = parse_error(p, "parameter '%s' has an empty value", word);
		return NULL;
	}
	if (strlen(value) >= MACHINE_VALUE_MAX) {
		*ret = parse_error(p, "value of '%s' is too long (at most %d bytes)", word,
				   MACHINE_VALUE_MAX - 1);
		return NULL;
	}
	if (strpbrk(value, "\"'")) {
		*ret = parse_error(p, "value of '%s': quotes are not supported", word);
		return NULL;
	}
	return value;
}

/* A key that an earlier word of the same line already set. */
static bool seen_key(char **words, int upto, const char *key)
{
	for (int i = 0; i < upto; i++)
		if (!strcmp(words[i], key))
			return true;
	return false;
}

static int parse_machine_line(struct parser *p, char **words, int nwords)
{
	int ret;

	if (p->machine_line)
		return parse_error(p, "duplicate 'machine' line (the first is at line %d)",
				   p->machine_line);
	if (nwords != 2)
		return parse_error(p, "expected 'machine NAME'");
	ret = check_name(p, "machine name", words[1]);
	if (ret)
		return ret;
	p->machine_line = p->line;
	snprintf(p->m->name, sizeof(p->m->name), "%s", words[1]);
	return 0;
}

static int parse_iommu_line(struct parser *p, char **words, int nwords)
{
	int ret;

	if (p->iommu_line)
		return parse_error(p, "duplicate 'iommu' line (the first is at line %d)",
				   p->iommu_line);
	p->iommu_line = p->line;
	for (int i = 1; i < nwords; i++) {
		char *value = split_param(p, words[i], &ret);

		if (!value)
			return ret;
		if (seen_key(words + 1, i - 1, words[i]))
			return parse_error(p, "duplicate parameter '%s'", words[i]);
		if (!strcmp(words[i], "aw-bits")) {
			unsigned int bits = 0;
			const char *c;

			for (c = value; *c >= '0' && *c <= '9' && bits < 1000; c++)
				bits = bits * 10 + (unsigned int)(*c - '0');
			if (*c || bits < 32 || bits > 64)
				return parse_error(p,
						   "aw-bits=%s: expected a decimal number of "
						   "address bits from 32 to 64",
						   value);
			p->m->iommu_aw_bits = bits;
		} else if (!strcmp(words[i], "intremap")) {
			if (!strcmp(value, "on"))
				p->m->iommu_intremap = true;
			else if (!strcmp(value, "off"))
				p->m->iommu_intremap = false;
			else
				return parse_error(p, "intremap=%s: expected on or off", value);
		} else {
			return parse_error(p,
					   "unknown iommu parameter '%s' (known: aw-bits, "
					   "intremap)",
					   words[i]);
		}
	}
	return 0;
}

static int unknown_model(struct parser *p, const char *name)
{
	const struct pci_model *const *models = pci_models();
	char list[512];
	size_t len = 0;

	list[0] = '\0';
	for (; models && *models; models++) {
		int n = snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "",
				 (*models)->name);

		if (n < 0 || (size_t)n >= sizeof(list) - len)
			break;
		len += (size_t)n;
	}
	return parse_error(p, "unknown model '%s' (known: %s)", name, len ? list : "none");
}

static struct machine_device *add_device(struct parser *p)
{
	struct uvfio_machine *m = p->m;

	if (m->ndevices == p->devices_cap) {
		unsigned int cap = p->devices_cap ? p->devices_cap * 2 : 16;
		struct machine_device *devs;

		if (cap > MACHINE_MAX_DEVICES)
			cap = MACHINE_MAX_DEVICES;
		devs = xcalloc(cap, sizeof(*devs));
		if (m->ndevices)
			memcpy(devs, m->devices, m->ndevices * sizeof(*devs));
		free(m->devices);
		m->devices = devs;
		p->devices_cap = cap;
	}
	return &m->devices[m->ndevices];
}

/* The bridge parameter bus=N: the secondary bus, above the bridge's own bus. */
static int parse_secondary_bus(struct parser *p, const struct machine_device *dev,
			       const char *value, int *out)
{
	unsigned long long bus;

	if (model_param_u64(value, &bus) || bus < 1 || bus > 0xff)
		return parse_error(p, "bus=%s: expected a bus number from 1 to 255 (0xff)", value);
	if (bus <= dev->bus)
		return parse_error(p,
				   "bus=%s: a bridge's secondary bus must be above its own bus "
				   "%02x",
				   value, dev->bus);
	*out = (int)bus;
	return 0;
}

static int parse_device_line(struct parser *p, char **words, int nwords)
{
	struct uvfio_machine *m = p->m;
	const struct pci_model *model;
	struct machine_device tmp = { .line = p->line };
	struct machine_device *dev;
	int secondary = -1;
	int ret;

	if (nwords < 3)
		return parse_error(p, "expected 'device BDF MODEL [key=value ...]'");
	ret = parse_bdf(p, words[1], &tmp);
	if (ret)
		return ret;
	ret = check_name(p, "model name", words[2]);
	if (ret)
		return ret;
	model = pci_model_find(words[2]);
	if (!model)
		return unknown_model(p, words[2]);
	for (unsigned int i = 0; i < m->ndevices; i++) {
		const struct machine_device *o = &m->devices[i];

		if (o->domain == tmp.domain && o->bus == tmp.bus && o->devfn == tmp.devfn)
			return parse_error(p, "duplicate device %s (the first is at line %d)",
					   words[1], o->line);
	}
	if (m->ndevices >= MACHINE_MAX_DEVICES)
		return parse_error(p, "too many devices (at most %d)", MACHINE_MAX_DEVICES);

	/* Check every parameter before anything is allocated. */
	for (int i = 3; i < nwords; i++) {
		char *value = split_param(p, words[i], &ret);

		if (!value)
			return ret;
		if (seen_key(words + 3, i - 3, words[i]))
			return parse_error(p, "duplicate parameter '%s'", words[i]);
		if (!strcmp(words[i], "driver")) {
			ret = check_name(p, "driver name", value);
			if (ret)
				return ret;
			continue;
		}
		if (tmp.nparams >= MACHINE_MAX_PARAMS)
			return parse_error(p, "too many parameters (at most %d)",
					   MACHINE_MAX_PARAMS);
		tmp.params[tmp.nparams].key = words[i];
		tmp.params[tmp.nparams].value = value;
		tmp.nparams++;
		if (model->is_bridge && !strcmp(words[i], "bus")) {
			ret = parse_secondary_bus(p, &tmp, value, &secondary);
			if (ret)
				return ret;
		}
	}
	if (model->is_bridge && secondary < 0)
		return parse_error(p, "bridge %s needs bus=N (the number of the bus it creates)",
				   model->name);
	for (unsigned int i = 0; secondary >= 0 && i < m->ndevices; i++) {
		char bdf[16];

		if (p->secondary[i] != secondary || m->devices[i].domain != tmp.domain)
			continue;
		format_bdf(bdf, sizeof(bdf), &m->devices[i]);
		return parse_error(p, "bus %02x is already created by the bridge %s at line %d",
				   secondary, bdf, m->devices[i].line);
	}

	/* Valid: copy the words out of the line buffer. */
	dev = add_device(p);
	*dev = tmp;
	dev->model = xstrdup(model->name);
	for (unsigned int i = 0; i < dev->nparams; i++) {
		dev->params[i].key = xstrdup(tmp.params[i].key);
		dev->params[i].value = xstrdup(tmp.params[i].value);
	}
	for (int i = 3; i < nwords; i++)
		if (!strcmp(words[i], "driver"))
			dev->driver = xstrdup(words[i] + strlen("driver") + 1);
	p->secondary[m->ndevices] = secondary;
	p->parent[m->ndevices] = -1;
	m->ndevices++;
	return 0;
}

static int unknown_mdev_model(struct parser *p, const char *name)
{
	char list[512] = "";
	size_t len = 0;

	for (const struct mdev_parent_model *const *m = mdev_parent_models(); *m; m++) {
		int n = snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "",
				 (*m)->name);

		if (n < 0 || (size_t)n >= sizeof(list) - len)
			break;
		len += (size_t)n;
	}
	return parse_error(p, "unknown mdev parent model '%s' (known: %s)", name,
			   len ? list : "none");
}

/* mdev-parent MODEL NAME [key=value ...]; the model checks its parameters at creation. */
static int parse_mdev_parent_line(struct parser *p, char **words, int nwords)
{
	struct uvfio_machine *m = p->m;
	struct machine_mdev_parent tmp = { .line = p->line }, *mp;
	int ret;

	if (nwords < 3)
		return parse_error(p, "expected 'mdev-parent MODEL NAME [key=value ...]'");
	ret = check_name(p, "model name", words[1]);
	if (ret)
		return ret;
	if (!mdev_parent_model_find(words[1]))
		return unknown_mdev_model(p, words[1]);
	ret = check_name(p, "parent name", words[2]);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < m->nmdev_parents; i++)
		if (!strcmp(m->mdev_parents[i].name, words[2]))
			return parse_error(p,
					   "duplicate mdev parent '%s' (the first is at line %d)",
					   words[2], m->mdev_parents[i].line);
	if (m->nmdev_parents >= MACHINE_MAX_MDEV_PARENTS)
		return parse_error(p, "too many mdev parents (at most %d)",
				   MACHINE_MAX_MDEV_PARENTS);
	for (int i = 3; i < nwords; i++) {
		char *value = split_param(p, words[i], &ret);

		if (!value)
			return ret;
		if (seen_key(words + 3, i - 3, words[i]))
			return parse_error(p, "duplicate parameter '%s'", words[i]);
		if (tmp.nparams >= MACHINE_MAX_PARAMS)
			return parse_error(p, "too many parameters (at most %d)",
					   MACHINE_MAX_PARAMS);
		tmp.params[tmp.nparams].key = words[i];
		tmp.params[tmp.nparams].value = value;
		tmp.nparams++;
	}
	if (!m->nmdev_parents)
		m->mdev_parents = xcalloc(MACHINE_MAX_MDEV_PARENTS, sizeof(*m->mdev_parents));
	mp = &m->mdev_parents[m->nmdev_parents++];
	*mp = tmp;
	mp->model = xstrdup(words[1]);
	mp->name = xstrdup(words[2]);
	for (unsigned int i = 0; i < mp->nparams; i++) {
		mp->params[i].key = xstrdup(tmp.params[i].key);
		mp->params[i].value = xstrdup(tmp.params[i].value);
	}
	return 0;
}

static const struct {
	const char *name;
	int (*parse)(struct parser *p, char **words, int nwords);
} directives[] = {
	{ "machine", parse_machine_line },
	{ "iommu", parse_iommu_line },
	{ "device", parse_device_line },
	{ "mdev-parent", parse_mdev_parent_line },
};

static int parse_words(struct parser *p, char *buf)
{
	char *words[MACHINE_MAX_WORDS];
	int nwords = 0;
	char *c = buf;

	for (;;) {
		while (*c == ' ' || *c == '\t')
			c++;
		if (!*c)
			break;
		if (nwords == MACHINE_MAX_WORDS)
			return parse_error(p, "too many parameters (at most %d)",
					   MACHINE_MAX_PARAMS);
		words[nwords++] = c;
		while (*c && *c != ' ' && *c != '\t')
			c++;
		if (*c)
			*c++ = '\0';
	}
	if (!nwords)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(directives); i++)
		if (!strcmp(words[0], directives[i].name))
			return directives[i].parse(p, words, nwords);
	return parse_error(
		p, "unknown directive '%.63s' (expected machine, iommu, device or mdev-parent)",
		words[0]);
}

/*
 * One line, without its terminator. Bytes are checked first, so that a binary
 * file is reported as such rather than by whatever its first line looks like.
 */
static int parse_line(struct parser *p, const char *line, size_t len)
{
	char buf[MACHINE_MAX_LINE + 1];
	size_t content;

	if (len && line[len - 1] == '\r')
		len--;
	content = len; /* up to the comment */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0')
			return parse_error(p, "NUL byte: not a text file");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return parse_error(p, "control character 0x%02x: not a text file", c);
		if (c == '#' && content == len)
			content = i;
		if (c >= 0x80 && i < content)
			return parse_error(p, "non-ASCII byte 0x%02x outside a comment", c);
	}
	if (len > MACHINE_MAX_LINE)
		return parse_error(p, "line too long (at most %d bytes)", MACHINE_MAX_LINE);
	memcpy(buf, line, content);
	buf[content] = '\0';
	return parse_words(p, buf);
}

/* Is device @d (by index) behind the bridge @b, at any depth? */
static bool is_behind(const struct parser *p, int d, int b)
{
	/* Parents have strictly lower bus numbers, so this ends. */
	for (int i = p->parent[d]; i >= 0; i = p->parent[i])
		if (i == b)
			return true;
	return false;
}

static int check_topology(struct parser *p)
{
	const struct uvfio_machine *m = p->m;
	char bdf[16], other[16];

	/* Every device sits on a root bus or on a bus that a bridge creates. */
	for (unsigned int i = 0; i < m->ndevices; i++) {
		const struct machine_device *dev = &m->devices[i];
		bool found = !dev->bus;

		for (unsigned int j = 0; !found && j < m->ndevices; j++) {
			if (p->secondary[j] != (int)dev->bus || m->devices[j].domain != dev->domain)
				continue;
			p->parent[i] = (int)j;
			found = true;
		}
		if (!found) {
			format_bdf(bdf, sizeof(bdf), dev);
			return parse_error_at(
				p, dev->line,
				"device %s is on bus %02x, which no bridge creates "
				"(bus 00 is the root bus; a bridge's bus=N creates bus N)",
				bdf, dev->bus);
		}
	}

	for (unsigned int i = 0; i < m->ndevices; i++) {
		const struct machine_device *dev = &m->devices[i];
		int up = p->parent[i];
		bool has_fn0 = false;

		format_bdf(bdf, sizeof(bdf), dev);
		if (up >= 0 && (dev->devfn >> 3)) {
			for (size_t k = 0; k < ARRAY_SIZE(link_bridge_models); k++) {
				if (strcmp(m->devices[up].model, link_bridge_models[k]))
					continue;
				format_bdf(other, sizeof(other), &m->devices[up]);
				return parse_error_at(p, dev->line,
						      "device %s: bus %02x is the PCIe link of the "
						      "%s at %s, which has only device 00",
						      bdf, dev->bus, m->devices[up].model, other);
			}
		}
		if (!(dev->devfn & 7))
			continue;
		/* Linux scans functions 1-7 of a slot only after finding function 0. */
		for (unsigned int j = 0; j < m->ndevices; j++) {
			const struct machine_device *o = &m->devices[j];

			if (o->domain == dev->domain && o->bus == dev->bus &&
			    o->devfn == (dev->devfn & ~7u))
				has_fn0 = true;
		}
		if (!has_fn0)
			return parse_error_at(p, dev->line,
					      "device %s: the slot has no function 0 (a kernel "
					      "looks for functions 1-7 only behind function 0)",
					      bdf);
	}

	/*
	 * A bridge forwards the bus range [secondary, subordinate], where the
	 * subordinate is the highest bus behind it; a bus inside that range that
	 * is not behind it would be claimed by two bridges.
	 */
	for (unsigned int b = 0; b < m->ndevices; b++) {
		int sec = p->secondary[b], sub = sec;

		if (sec < 0)
			continue;
		for (unsigned int c = 0; c < m->ndevices; c++)
			if (p->secondary[c] > sub && is_behind(p, (int)c, (int)b))
				sub = p->secondary[c];
		for (unsigned int c = 0; c < m->ndevices; c++) {
			int csec = p->secondary[c];

			if (c == b || csec <= sec || csec > sub ||
			    m->devices[c].domain != m->devices[b].domain ||
			    is_behind(p, (int)c, (int)b))
				continue;
			format_bdf(bdf, sizeof(bdf), &m->devices[b]);
			format_bdf(other, sizeof(other), &m->devices[c]);
			return parse_error_at(
				p, m->devices[b].line,
				"bridge %s forwards buses %02x-%02x, which include bus "
				"%02x of the bridge %s at line %d, not behind it",
				bdf, sec, sub, csec, other, m->devices[c].line);
		}
	}
	return 0;
}

static int machine_parse_buf(const char *text, size_t len, const char *source,
			     struct uvfio_machine **out, char *err, size_t errlen)
{
	struct parser *p;
	size_t start = 0;
	int ret = 0;

	if (len > MACHINE_MAX_TEXT) {
		set_err(err, errlen, "%s: too large (at most %u bytes)", source, MACHINE_MAX_TEXT);
		return -EFBIG;
	}
	p = xzalloc(sizeof(*p));
	p->source = source;
	p->err = err;
	p->errlen = errlen;
	p->m = xzalloc(sizeof(*p->m));
	p->m->source = xstrdup(source);
	snprintf(p->m->name, sizeof(p->m->name), "q35");
	p->m->iommu_aw_bits = DEFAULT_AW_BITS;
	p->m->iommu_intremap = true;

	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;

		p->line++;
		ret = parse_line(p, text + start, end - start);
		if (ret)
			goto out;
		start = end + 1;
	}
	if (!p->m->ndevices) {
		ret = parse_error_at(p, p->line ? p->line : 1,
				     "no devices (a machine needs at least one 'device' line)");
		goto out;
	}
	ret = check_topology(p);
out:
	if (ret) {
		uvfio_machine_free(p->m);
		p->m = NULL;
	}
	*out = p->m;
	free(p);
	return ret;
}

int uvfio_machine_parse(const char *text, const char *source, struct uvfio_machine **out, char *err,
			size_t errlen)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!source)
		source = "<string>";
	if (!text) {
		set_err(err, errlen, "%s: no text", source);
		return -EINVAL;
	}
	return machine_parse_buf(text, strnlen(text, MACHINE_MAX_TEXT + 1), source, out, err,
				 errlen);
}

int uvfio_machine_load(const char *path, struct uvfio_machine **out, char *err, size_t errlen)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	struct stat st;
	char ebuf[128];

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!path) {
		set_err(err, errlen, "no machine file given");
		return -EINVAL;
	}
	/* O_NONBLOCK: a FIFO or a device must not hang the open; only regular files qualify. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		goto io_error;
	if (fstat(fd, &st))
		goto io_error;
	if (!S_ISREG(st.st_mode)) {
		set_err(err, errlen, "%s: not a regular file%s", path,
			S_ISDIR(st.st_mode) ? " (a directory)" : "");
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if (fcntl(fd, F_SETFL, 0))
		goto io_error;
	/* One byte more than allowed, to tell "at the limit" from "too large". */
	buf = xzalloc(MACHINE_MAX_TEXT + 1);
	while (len <= MACHINE_MAX_TEXT) {
		ssize_t n = read(fd, buf + len, MACHINE_MAX_TEXT + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto io_error;
		if (!n)
			break;
		len += (size_t)n;
	}
	return machine_parse_buf(buf, len, path, out, err, errlen);

io_error:;
	int e = errno;

	set_err(err, errlen, "%s: %s", path, strerror_r(e, ebuf, sizeof(ebuf)));
	return -e;
}

static void machine_params_free(struct machine_param *params, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		free(params[i].key);
		free(params[i].value);
	}
}

void uvfio_machine_free(struct uvfio_machine *m)
{
	if (!m)
		return;
	for (unsigned int i = 0; i < m->ndevices; i++) {
		struct machine_device *dev = &m->devices[i];

		free(dev->model);
		free(dev->driver);
		machine_params_free(dev->params, dev->nparams);
	}
	free(m->devices);
	for (unsigned int i = 0; i < m->nmdev_parents; i++) {
		struct machine_mdev_parent *mp = &m->mdev_parents[i];

		free(mp->model);
		free(mp->name);
		machine_params_free(mp->params, mp->nparams);
	}
	free(m->mdev_parents);
	free(m->source);
	free(m);
}

// SPDX-License-Identifier: MIT
/*
 * The sysfs engine (base/sysfs.h): path walk, symlinks, stat, readdir,
 * reads and writes over the directories subsystems describe, with kernfs's
 * rules (fs/kernfs/, fs/sysfs/file.c): opening an attribute in a mode it
 * does not support fails with EACCES, a store gets at most a page,
 * NUL-terminated, unknown paths ENOENT. It renders nothing itself but the
 * skeleton every tree has:
 *
 *   /                 dev, sys
 *   /sys              bus, class, devices, kernel, module
 *   /sys/devices      virtual
 *
 * and the providers' entries in each slot (enum sysfs_slot). Who renders
 * what: docs/design.md, "Layering"; the files: docs/sysfs.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/device.h"
#include "base/module.h"
#include "base/sysfs.h"
#include "uvfio/uvfio.h"

struct sysfs_provider {
	const struct sysfs_dir *dir;
	void *data;
	struct list_head node;
};

void names_add(struct sysfs_names *l, const char *fmt, ...)
{
	va_list ap;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->name = realloc(l->name, l->cap * sizeof(*l->name));
		if (!l->name)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(l->name[l->n++], SYSFS_NAME_MAX, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ the registry */

void sysfs_root_init(struct sysfs_root *root, struct uvfio_world *w)
{
	root->w = w;
	for (int i = 0; i < SYSFS_NR_SLOTS; i++)
		INIT_LIST_HEAD(&root->slots[i]);
	INIT_LIST_HEAD(&root->modules);
	sysfs_add_provider(root, SYSFS_MODULE, &sysfs_modules_dir, NULL);
}

void sysfs_root_destroy(struct sysfs_root *root)
{
	struct sysfs_provider *p, *n;

	for (int i = 0; i < SYSFS_NR_SLOTS; i++) {
		list_for_each_entry_safe(p, n, &root->slots[i], node) {
			list_del(&p->node);
			free(p);
		}
	}
	sysfs_modules_destroy(root);
}

void sysfs_add_provider(struct sysfs_root *root, enum sysfs_slot slot, const struct sysfs_dir *dir,
			void *data)
{
	struct sysfs_provider *p = xzalloc(sizeof(*p));

	p->dir = dir;
	p->data = data;
	list_add_tail(&p->node, &root->slots[slot]);
}

/* ---------------------------------------------------------------- contexts */

void sysfs_ctx_get(struct sysfs_ctx *c)
{
	get_device(c->dev);
	if (c->obj)
		c->obj_ops->get(c->obj);
}

static void ctx_put(struct sysfs_ctx *c)
{
	put_device(c->dev);
	if (c->obj)
		c->obj_ops->put(c->obj);
	c->dev = NULL;
	c->obj = NULL;
}

void sysfs_link_node(struct sysfs_ctx *c, const struct sysfs_attr *link, struct device *dev,
		     struct sysfs_node *out)
{
	out->c = *c;
	out->c.dev = NULL;
	sysfs_ctx_get(&out->c);
	out->c.dev = dev;
	out->attr = link;
}

void sysfs_dir_node(struct sysfs_ctx *c, const struct sysfs_dir *dir, struct device *dev,
		    struct sysfs_node *out)
{
	*out = (struct sysfs_node){
		.c = { .w = c->w, .root = c->root, .dir = dir, .dev = dev, .data = c->data }
	};
}

/* --------------------------------------------------------- shared methods */

ssize_t show_empty(struct sysfs_ctx *c, char *buf)
{
	return 0;
}

ssize_t show_const(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%ld\n", c->arg);
}

/* kobject_synth_uevent (lib/kobject_uevent.c): a known action is accepted (no netlink). */
ssize_t store_uevent(struct sysfs_ctx *c, const char *buf, size_t count)
{
	static const char *const actions[] = { "add",	 "remove",  "change", "move",
					       "online", "offline", "bind",   "unbind" };
	size_t len = strcspn(buf, " \n");

	if (len >= count)
		len = count;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (strlen(actions[i]) == len && !strncmp(buf, actions[i], len))
			return (ssize_t)count;
	return -EINVAL;
}

bool sysfs_parse_id(const char *name, int *id)
{
	char *end;
	long v;

	if (name[0] < '0' || name[0] > '9')
		return false;
	v = strtol(name, &end, 10);
	if (*end || v > INT32_MAX || (name[0] == '0' && name[1]))
		return false;
	*id = (int)v;
	return true;
}

int sysfs_kstrtobool(const char *s, bool *res)
{
	switch (s[0]) {
	case 'y':
	case 'Y':
	case 't':
	case 'T':
	case '1':
		*res = true;
		return 0;
	case 'n':
	case 'N':
	case 'f':
	case 'F':
	case '0':
		*res = false;
		return 0;
	case 'o':
	case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*res = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*res = false;
			return 0;
		}
		break;
	}
	return -EINVAL;
}

int sysfs_dev_path(struct device *dev, char *buf, size_t size)
{
	int len;

	if (dev->bus && dev->bus->type->dev_path)
		return dev->bus->type->dev_path(dev, buf, size);
	if (!dev->parent)
		return -ENOENT;
	/* A child device (an mdev): below its parent. */
	len = sysfs_dev_path(dev->parent, buf, size);
	if (len < 0)
		return len;
	return len +
	       snprintf(buf + len, size - (size_t)min((size_t)len, size), "/%s", dev_name(dev));
}

int sysfs_target_dev(struct sysfs_ctx *c, char *buf, size_t size)
{
	return sysfs_dev_path(c->dev, buf, size);
}

const struct sysfs_attr sysfs_dev_link = ATTR_LNK(NULL, sysfs_target_dev);
const struct sysfs_dir sysfs_empty_dir = { .attrs = NULL };

/* ---------------------------------------------------------------- skeleton */

static const struct sysfs_dir dev_dir = SYSFS_SLOT_DIR(SYSFS_DEV);
static const struct sysfs_dir bus_dir = SYSFS_SLOT_DIR(SYSFS_BUS);
static const struct sysfs_dir class_dir = SYSFS_SLOT_DIR(SYSFS_CLASS);
static const struct sysfs_dir virtual_dir = SYSFS_SLOT_DIR(SYSFS_VIRTUAL);
static const struct sysfs_dir kernel_dir = SYSFS_SLOT_DIR(SYSFS_KERNEL);
static const struct sysfs_dir module_dir = SYSFS_SLOT_DIR(SYSFS_MODULE);

static const struct sysfs_attr devices_attrs[] = {
	ATTR_DIR("virtual", &virtual_dir),
	{ NULL },
};

static const struct sysfs_dir devices_dir = { .attrs = devices_attrs, .slot = SYSFS_DEVICES };

static const struct sysfs_attr sys_attrs[] = {
	ATTR_DIR("bus", &bus_dir),	   ATTR_DIR("class", &class_dir),
	ATTR_DIR("devices", &devices_dir), ATTR_DIR("kernel", &kernel_dir),
	ATTR_DIR("module", &module_dir),   { NULL },
};

static const struct sysfs_dir sys_dir = { .attrs = sys_attrs };

static const struct sysfs_attr root_attrs[] = {
	ATTR_DIR("dev", &dev_dir),
	ATTR_DIR("sys", &sys_dir),
	{ NULL },
};

static const struct sysfs_dir root_dir = { .attrs = root_attrs };

/* ------------------------------------------------------------- resolution */

static const struct sysfs_attr *dir_table(const struct sysfs_ctx *c, const struct sysfs_dir *d,
					  unsigned int i)
{
	if (d->tables)
		return d->tables(c, i);
	return i == 0 ? d->attrs : NULL;
}

static bool attr_visible(struct sysfs_ctx *c, const struct sysfs_attr *a)
{
	bool v;

	if (!a->visible)
		return true;
	c->arg = a->arg;
	v = a->visible(c);
	c->arg = 0;
	return v;
}

/* The entry name among d's own tables and dynamic children, with c as d's context. */
static int dir_lookup(struct sysfs_ctx *c, const struct sysfs_dir *d, const char *name,
		      struct sysfs_node *out)
{
	const struct sysfs_attr *t, *a;

	for (unsigned int i = 0; (t = dir_table(c, d, i)); i++) {
		for (a = t; a->name; a++) {
			if (strcmp(a->name, name) || !attr_visible(c, a))
				continue;
			out->c = *c;
			sysfs_ctx_get(&out->c);
			if (S_ISDIR(a->mode)) {
				out->c.dir = a->dir;
				out->attr = NULL;
			} else {
				out->attr = a;
			}
			return 0;
		}
	}
	return d->lookup ? d->lookup(c, name, out) : -ENOENT;
}

static void dir_list(struct sysfs_ctx *c, const struct sysfs_dir *d, struct sysfs_names *names)
{
	const struct sysfs_attr *t, *a;

	for (unsigned int i = 0; (t = dir_table(c, d, i)); i++)
		for (a = t; a->name; a++)
			if (attr_visible(c, a))
				names_add(names, "%s", a->name);
	if (d->list)
		d->list(c, names);
}

/* The entry name of the directory node dir, as a new node: its own, then its slot's. */
static int node_lookup(struct sysfs_node *dir, const char *name, struct sysfs_node *out)
{
	struct sysfs_ctx *c = &dir->c;
	struct sysfs_provider *p;
	int ret;

	if (dir->attr)
		return -ENOTDIR;
	ret = dir_lookup(c, c->dir, name, out);
	if (ret != -ENOENT || c->dir->slot == SYSFS_NO_SLOT)
		return ret;
	list_for_each_entry(p, &c->root->slots[c->dir->slot], node) {
		struct sysfs_ctx pc = *c;

		pc.data = p->data;
		ret = dir_lookup(&pc, p->dir, name, out);
		if (ret != -ENOENT)
			return ret;
	}
	return -ENOENT;
}

static void node_list(struct sysfs_node *dir, struct sysfs_names *names)
{
	struct sysfs_ctx *c = &dir->c;
	struct sysfs_provider *p;

	dir_list(c, c->dir, names);
	if (c->dir->slot == SYSFS_NO_SLOT)
		return;
	list_for_each_entry(p, &c->root->slots[c->dir->slot], node) {
		struct sysfs_ctx pc = *c;

		pc.data = p->data;
		dir_list(&pc, p->dir, names);
	}
}

static void node_put(struct sysfs_node *n)
{
	ctx_put(&n->c);
}

/* "../../../bus/pci": target (absolute) relative to the directory dir (absolute). */
static int sysfs_relative(const char *dir, const char *target, char *buf, size_t size)
{
	size_t common = 0, i = 0, tparent = (size_t)(strrchr(target, '/') - target);
	int len = 0;

	/*
	 * The longest common prefix, ending at a component boundary, of dir and
	 * the target's parent (kernfs_get_target_path: a link to an ancestor
	 * climbs above it and names it).
	 */
	for (;; i++) {
		bool dend = !dir[i] || dir[i] == '/', tend = !target[i] || target[i] == '/';

		if (dend && tend && i <= tparent)
			common = i;
		if (!dir[i] || !target[i] || dir[i] != target[i])
			break;
	}
	buf[0] = '\0';
	for (const char *p = dir + common; *p; p++)
		if (*p == '/' && (size_t)len + 4 < size)
			len += snprintf(buf + len, size - (size_t)len, "../");
	if (target[common] == '/')
		common++;
	len += snprintf(buf + len, size - (size_t)len, "%s", target + common);
	if (len > 0 && buf[len - 1] == '/')
		buf[--len] = '\0';
	return len;
}

static int node_readlink(struct sysfs_node *n, const char *dirpath, char *buf, size_t size)
{
	char target[SYSFS_PATH_MAX];
	int ret;

	if (!n->attr || !S_ISLNK(n->attr->mode))
		return -EINVAL;
	n->c.arg = n->attr->arg;
	ret = n->attr->target(&n->c, target, sizeof(target));
	if (ret < 0)
		return ret;
	if ((size_t)ret >= sizeof(target))
		return -ENAMETOOLONG;
	return sysfs_relative(dirpath, target, buf, size);
}

/*
 * Resolves path to a node. Symlinks met before the last component are
 * followed (and the last one too with follow), as path lookup does: a link's
 * target continues the walk from the link's directory, and since only real
 * directories are ever entered, the walked prefix stays canonical and ".."
 * simply drops its last component. canon (optional) receives the node's
 * canonical path.
 */
static int sysfs_walk(struct sysfs_root *root, const char *path, bool follow,
		      struct sysfs_node *out, char *canon)
{
	char rest[SYSFS_PATH_MAX], cur[SYSFS_PATH_MAX] = "", name[SYSFS_NAME_MAX + 1];
	struct sysfs_node node = { .c = { .w = root->w, .root = root, .dir = &root_dir } }, child;
	const char *p;
	int links = 0, ret;

	if (path[0] != '/')
		return -ENOENT;
	if (strlen(path) >= sizeof(rest))
		return -ENAMETOOLONG;
	strcpy(rest, path);
	p = rest;
	for (;;) {
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		if (len > SYSFS_NAME_MAX) {
			ret = -ENAMETOOLONG;
			goto err;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		if (!strcmp(name, "."))
			continue;
		if (node.attr) {
			ret = -ENOTDIR;
			goto err;
		}
		if (!strcmp(name, "..")) {
			char *slash = strrchr(cur, '/');

			if (slash)
				*slash = '\0';
			node_put(&node);
			/* cur has no links and no "..": one level of recursion. */
			ret = sysfs_walk(root, cur[0] ? cur : "/", false, &node, NULL);
			if (ret)
				return ret;
			continue;
		}
		if (strchr(name, '\n')) {
			ret = -ENOENT;
			goto err;
		}
		ret = node_lookup(&node, name, &child);
		if (ret)
			goto err;
		if (child.attr && S_ISLNK(child.attr->mode) && (follow || *p)) {
			char target[SYSFS_PATH_MAX], *tail = rest + sizeof(rest) / 2;

			if (++links > SYSFS_MAX_LINKS) {
				node_put(&child);
				ret = -ELOOP;
				goto err;
			}
			ret = node_readlink(&child, cur, target, sizeof(target));
			node_put(&child);
			if (ret < 0)
				goto err;
			/* New remaining path: target + what followed the link. */
			if (strlen(p) >= sizeof(rest) / 2 || (size_t)ret >= sizeof(rest) / 2) {
				ret = -ENAMETOOLONG;
				goto err;
			}
			memmove(tail, p, strlen(p) + 1);
			memmove(rest, target, (size_t)ret);
			rest[ret] = '/';
			memmove(rest + ret + 1, tail, strlen(tail) + 1);
			p = rest;
			continue;
		}
		node_put(&node);
		node = child;
		if (strlen(cur) + len + 2 > sizeof(cur)) {
			ret = -ENAMETOOLONG;
			goto err;
		}
		strcat(cur, "/");
		strcat(cur, name);
	}
	*out = node;
	if (canon)
		strcpy(canon, cur[0] ? cur : "/");
	return 0;
err:
	node_put(&node);
	return ret;
}

/* Directory part of a canonical path ("/sys/bus/pci/devices/x" → "/sys/bus/pci/devices"). */
static void path_dirname(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash && slash != path)
		*slash = '\0';
	else
		strcpy(path, "/");
}

static void node_stat(struct sysfs_node *n, struct uvfio_sysfs_stat *st)
{
	const struct sysfs_attr *a = n->attr;

	memset(st, 0, sizeof(*st));
	if (!a) {
		st->type = UVFIO_SYSFS_DIR;
		st->mode = 0755;
		st->readable = 1;
		return;
	}
	st->mode = a->mode & 07777;
	if (S_ISLNK(a->mode)) {
		st->type = UVFIO_SYSFS_LNK;
		return;
	}
	if (S_ISCHR(a->mode)) {
		st->type = UVFIO_SYSFS_CHR;
		st->rdev_major = (unsigned int)(a->arg >> 20);
		st->rdev_minor = (unsigned int)(a->arg & 0xfffff);
		if (a->rdev)
			a->rdev(&n->c, &st->rdev_major, &st->rdev_minor);
		st->readable = st->writable = 1;
		return;
	}
	st->type = UVFIO_SYSFS_REG;
	st->readable = a->show || a->read;
	st->writable = a->store || a->write;
	if (a->size) {
		st->binary = 1;
		n->c.arg = a->arg;
		st->size = a->size(&n->c);
	} else {
		st->size = SYSFS_PAGE;
	}
}

int sysfs_stat(struct sysfs_root *root, const char *path, struct uvfio_sysfs_stat *st)
{
	struct sysfs_node n;
	int ret = sysfs_walk(root, path, false, &n, NULL);

	if (ret)
		return ret;
	node_stat(&n, st);
	node_put(&n);
	return 0;
}

struct sysfs_dirent {
	char name[SYSFS_NAME_MAX];
	struct uvfio_sysfs_stat st;
};

static int dirent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sysfs_dirent *)a)->name,
		      ((const struct sysfs_dirent *)b)->name);
}

int sysfs_readdir(struct sysfs_root *root, const char *path,
		  int (*fn)(void *arg, const char *name, const struct uvfio_sysfs_stat *st),
		  void *arg)
{
	struct sysfs_names names = { 0 };
	struct sysfs_dirent *ents;
	struct sysfs_node dir;
	size_t n = 0;
	int ret = sysfs_walk(root, path, true, &dir, NULL);

	if (ret)
		return ret;
	if (dir.attr) {
		node_put(&dir);
		return -ENOTDIR;
	}
	node_list(&dir, &names);
	/* Stat each entry; one that vanished since the listing is left out. */
	ents = xcalloc(names.n + 1, sizeof(*ents));
	for (size_t i = 0; i < names.n; i++) {
		struct sysfs_node child;

		if (node_lookup(&dir, names.name[i], &child))
			continue;
		snprintf(ents[n].name, sizeof(ents[n].name), "%s", names.name[i]);
		node_stat(&child, &ents[n].st);
		node_put(&child);
		n++;
	}
	node_put(&dir);
	free(names.name);
	qsort(ents, n, sizeof(*ents), dirent_cmp);
	ret = 0;
	for (size_t i = 0; i < n && !ret; i++)
		ret = fn(arg, ents[i].name, &ents[i].st);
	free(ents);
	return ret;
}

ssize_t sysfs_pwrite(struct sysfs_root *root, const char *path, const void *buf, size_t len,
		     long long off)
{
	const struct sysfs_attr *a;
	struct sysfs_node n;
	ssize_t ret = sysfs_walk(root, path, true, &n, NULL);

	if (ret)
		return ret;
	a = n.attr;
	n.c.arg = a ? a->arg : 0;
	if (!a) {
		ret = -EISDIR;
	} else if (a->write) {
		ret = a->write(&n.c, buf, len, off);
	} else if (!a->store) {
		ret = S_ISCHR(a->mode) ? -ENXIO : -EACCES;
	} else if (len == 0) {
		ret = 0; /* an empty write never reaches the attribute */
	} else {
		/* kernfs hands the store at most a page, NUL-terminated. */
		size_t count = min(len, (size_t)SYSFS_PAGE - 1);
		char *page = xzalloc(SYSFS_PAGE);

		memcpy(page, buf, count);
		ret = a->store(&n.c, page, count);
		free(page);
		/* sysfs truncates writes to a page; report what the caller wrote. */
		if (ret == (ssize_t)count)
			ret = (ssize_t)len;
	}
	node_put(&n);
	return ret;
}

ssize_t sysfs_pread(struct sysfs_root *root, const char *path, void *buf, size_t size,
		    long long off, bool cap_sys_admin)
{
	const struct sysfs_attr *a;
	struct sysfs_node n;
	ssize_t ret = sysfs_walk(root, path, true, &n, NULL);

	if (ret)
		return ret;
	a = n.attr;
	n.c.arg = a ? a->arg : 0;
	n.c.cap_sys_admin = cap_sys_admin;
	if (!a) {
		ret = -EISDIR;
	} else if (off < 0) {
		ret = -EINVAL;
	} else if (a->read) {
		ret = a->read(&n.c, buf, size, off);
	} else if (a->show) {
		char *page = xzalloc(SYSFS_PAGE);

		ret = a->show(&n.c, page);
		if (ret >= 0) {
			ret = off >= ret ? 0 : min(ret - (ssize_t)off, (ssize_t)size);
			memcpy(buf, page + off, (size_t)max(ret, (ssize_t)0));
		}
		free(page);
	} else {
		ret = S_ISCHR(a->mode) ? -ENXIO : -EACCES;
	}
	node_put(&n);
	return ret;
}

ssize_t sysfs_readlink(struct sysfs_root *root, const char *path, char *buf, size_t size)
{
	char canon[SYSFS_PATH_MAX];
	struct sysfs_node n;
	ssize_t ret = sysfs_walk(root, path, false, &n, canon);

	if (ret)
		return ret;
	path_dirname(canon);
	ret = node_readlink(&n, canon, buf, size);
	node_put(&n);
	/* readlink(2) truncates silently. */
	return ret < 0 || !size ? ret : (ssize_t)strnlen(buf, size);
}

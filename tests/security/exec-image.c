// SPDX-License-Identifier: MIT
/*
 * The daemon binds a caller's memory to its process image (docs/design.md,
 * "Trust model"): after an exec the same pid has a new mm, and DMA must reach
 * the new image's memory, never the old one's. This program opens the
 * container, group and edu device, maps and uses a buffer, then execs itself
 * with the descriptors inherited; the new image maps its own buffer at the
 * same IOVA and checks a device round trip reaches it.
 */
#include "../uapi/common.h"

#define IOVA 0x200000ul
static char buf[2 * PAGE] __attribute__((aligned(4096)));

static const char *step;

/* 0, or -1 with step naming what failed. */
static int round_trip(int container, int device, const char *text)
{
	size_t len = strlen(text);

	memset(buf, 0, sizeof(buf));
	memcpy(buf, text, len);
	step = "MAP_DMA";
	if (dma_map(container, IOVA, buf, sizeof(buf),
		    VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -1;
	step = "DMA";
	if (edu_dma(device, IOVA, EDU_DMA_BUF, (uint32_t)len, 0) ||
	    edu_dma(device, EDU_DMA_BUF, IOVA + PAGE, (uint32_t)len, EDU_DMA_TO_RAM))
		return -1;
	step = "the bytes the device copied";
	if (memcmp(buf + PAGE, text, len))
		return -1;
	step = "UNMAP_DMA";
	return dma_unmap(container, IOVA, sizeof(buf), 0, NULL);
}

int main(int argc, char **argv)
{
	struct vfio_env e;
	int container, device;
	char a[16], b[16];
	int ret;

	tap_prog = "exec-image";
	if (argc == 3) { /* the new image */
		container = atoi(argv[1]);
		device = atoi(argv[2]);
		ret = round_trip(container, device, "after exec");
		tap(!ret, "after exec, DMA reaches the new image's memory", "%s: %s", step,
		    errname(errno));
		return tap_done();
	}
	if (bind_vfio_override(EDU_BDF))
		bail("bind edu to vfio-pci");
	if (env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
		bail("container, group and device");
	container = e.container;
	device = e.device;
	cfg_write(device, 4, cfg_read(device, 4, 2) | 0x6, 2); /* memory, bus master */
	if (round_trip(container, device, "before exec"))
		bail("before exec, the DMA round trip failed at %s", step);
	fflush(stdout);
	/* Both must survive the exec (GET_DEVICE_FD's is close-on-exec, as the kernel makes it). */
	if (fcntl(container, F_SETFD, 0) || fcntl(device, F_SETFD, 0))
		bail("F_SETFD");
	snprintf(a, sizeof(a), "%d", container);
	snprintf(b, sizeof(b), "%d", device);
	execl("/proc/self/exe", argv[0], a, b, (char *)NULL);
	bail("exec");
}

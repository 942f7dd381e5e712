/* SPDX-License-Identifier: MIT */
/*
 * <linux/vfio.h> pieces newer than the system's linux-libc-dev (Debian 12
 * ships 6.1's), with the numbers of Linux 6.12's uAPI.
 */
#ifndef UVFIO_COMPAT_VFIO_H
#define UVFIO_COMPAT_VFIO_H

#include <linux/vfio.h>

/* VFIO_DEVICE_FEATURE index 9: GET struct vfio_device_feature_mig_data_size (6.2). */
#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
#endif

#endif /* UVFIO_COMPAT_VFIO_H */

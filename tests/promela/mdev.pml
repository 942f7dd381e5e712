/*
 * mdev create, remove and parent unregistration (Linux 6.12, the sequence of
 * seeds/003), and the pre-5.2 sequence it replaced (-DOLD). docs/mdev-model.md
 * says what is modelled and abstracted, and what spin reports.
 *
 * One parent with one type, one UUID. Processes: NCREATE writers of the UUID
 * to the type's `create`, a writer of 1 to the instance's `remove`, a VFIO
 * user that opens the instance and later closes it, a reader of the type's
 * `available_instances`, and the parent's unregistration (the vendor driver
 * going away), after which the vendor frees its parent state.
 *
 * Properties (each an assertion group; -DONLY_FREED / -DONLY_ORPHAN /
 * -DONLY_HALF keep just one, to show each catches the old sequence alone,
 * -DONLY_LTL none, for the LTL run):
 *   FREED   every vendor callback and every sysfs access of the parent runs
 *           while the parent is not freed;
 *   ORPHAN  when the parent is freed no instance of it is on the bus or
 *           reserved in the list, and none is added afterwards;
 *   HALF    a VFIO user's open and close reach the vendor only while the
 *           vendor's state of the instance exists (not half built, not torn
 *           down under the user).
 * Deadlock freedom: pan's invalid end states (every process must finish).
 *
 * Switches: -DOLD the pre-5.2 sequence; -DBLOCKING_READ create takes
 * unreg_sem with a blocking down_read instead of a trylock (shows why
 * the kernel uses a trylock); -DKERNEL_ORDER remove clears `active` before
 * its trylock, word for word as 6.12 does (see Remover); -DSTRICT_MEMORY also
 * counts the core's own use of the parent's memory (the trylock of
 * parent->unreg_sem by a `remove` writer) as an access; -DLTL adds the
 * ORPHAN property as an LTL formula (run pan with -a).
 */

#ifndef NCREATE
#define NCREATE 2
#endif

#if defined(ONLY_FREED) || defined(ONLY_ORPHAN) || defined(ONLY_HALF) || defined(ONLY_LTL)
#ifdef ONLY_FREED
#define FREED(c) assert(c)
#else
#define FREED(c) skip
#endif
#ifdef ONLY_ORPHAN
#define ORPHAN(c) assert(c)
#else
#define ORPHAN(c) skip
#endif
#ifdef ONLY_HALF
#define HALF(c) assert(c)
#else
#define HALF(c) skip
#endif
#else
#define FREED(c) assert(c)
#define ORPHAN(c) assert(c)
#define HALF(c) assert(c)
#endif

/*
 * -DREACH=n turns point n into a failing assertion, so that a run which finds
 * it shows the point is reachable (the properties are not vacuous): 1 a user
 * opened the instance, 2 a `remove` writer removed it, 3 the unregistration
 * removed it, 4 a create failed -ENODEV against the unregistration, 5 a create
 * succeeded after an earlier instance of the UUID was removed.
 */
#ifdef REACH
#define REACHED(n) assert(REACH != n)
#else
#define REACHED(n) skip
#endif

/* The vendor's parent state (ops, vendor device, mdev_parent) is freed. */
bool parent_gone;

/* parent->unreg_sem: readers, a writer holding it, a writer waiting for it. */
byte sem_readers;
bool sem_writer;
bool sem_wwait;

/* mdev_list_lock (a mutex) and what it protects for our one UUID. */
bool list_lock;
bool in_list; /* the instance exists: its UUID is reserved */
bool mdev_active; /* mdev->active */

/* The instance as the rest of the system sees it. */
bool on_bus;     /* device_add done, device_del not yet: in sysfs, on the bus */
bool rm_file;    /* its `remove` attribute exists */
bool vendor_ok;  /* the vendor's state of the instance exists */
bool registered; /* its vfio_device is registered: an open can get it */
byte users;      /* open device files (registration references) */

#ifdef REACH
byte created; /* successful creates */
#endif

/* The parent's type directory in sysfs and its kernfs active references. */
bool type_visible = true;
byte type_active;

inline lock(l) { atomic { !l -> l = true } }
inline unlock(l) { l = false }

/* down_read_trylock: fails while a writer holds or waits for the semaphore. */
inline read_trylock(ok)
{
	atomic {
		if
		:: !sem_writer && !sem_wwait -> sem_readers++; ok = true
		:: else -> ok = false
		fi
	}
}

inline read_lock_blocking()
{
	atomic { !sem_writer && !sem_wwait -> sem_readers++ }
}

inline read_unlock() { sem_readers-- }

/*
 * The device's release (last put_device): the UUID leaves the list and, with
 * no get_available, the instance goes back to the parent's counter.
 */
inline release()
{
	lock(list_lock);
	FREED(!parent_gone);
	in_list = false;
	unlock(list_lock);
}

/* Driver detach: the vendor's remove unregisters the vfio_device (blocks until the user closes). */
inline vfio_unregister_and_vendor_remove()
{
	FREED(!parent_gone);
	registered = false;
	users == 0;
	vendor_ok = false
}

#ifndef OLD

/*
 * mdev_device_remove_common(): sysfs links and attributes go, device_del()
 * detaches the driver (which waits for the user), then the initial reference.
 */
inline remove_common()
{
	rm_file = false;
	vfio_unregister_and_vendor_remove();
	on_bus = false;
	release()
}

proctype Creator()
{
	bool ok;

	/* create_store runs with a kernfs active reference on the type's `create`. */
	atomic {
		if
		:: type_visible -> type_active++
		:: else -> goto out
		fi
	}
	lock(list_lock);
	FREED(!parent_gone); /* parent->available_instances */
	if
	:: in_list -> unlock(list_lock); goto done /* -EEXIST */
	:: else -> in_list = true; mdev_active = false; unlock(list_lock)
	fi;
#ifdef BLOCKING_READ
	read_lock_blocking();
#else
	read_trylock(ok);
	if
	:: !ok -> REACHED(4); release(); goto done /* -ENODEV */
	:: else -> skip
	fi;
#endif
	/* device_add(): visible on the bus with its attributes. */
	atomic { ORPHAN(!parent_gone); on_bus = true; rm_file = true };
	/* device_driver_attach(): the vendor's probe builds its state, then registers. */
	FREED(!parent_gone);
	vendor_ok = true;
	registered = true;
	/* mdev_create_sysfs_files(), then the instance becomes active. */
	mdev_active = true;
#ifdef REACH
	created++;
	if
	:: created == 2 -> REACHED(5)
	:: else -> skip
	fi;
#endif
	read_unlock();
done:
	type_active--;
out:
}

/*
 * remove_store() → mdev_device_remove(). 6.12 checks and clears `active` under
 * mdev_list_lock and only then tries unreg_sem (KERNEL_ORDER). Between the two
 * the writer holds nothing that the unregistration waits for (it left kernfs'
 * active protection), so the unregistration can remove the instance, finish
 * and free the parent, and the writer's trylock then succeeds on the freed
 * parent and removes the instance a second time: spin finds this. The default
 * takes the trylock first and keeps 6.12's errnos (not listed → -ENODEV, not
 * active → -EAGAIN, parent unregistering → -ENODEV).
 */
proctype Remover()
{
	bool ok;

	/* device_remove_file_self(): the writer leaves kernfs' active protection. */
	atomic {
		if
		:: rm_file -> rm_file = false
		:: else -> goto out
		fi
	}
#ifdef STRICT_MEMORY
	assert(!parent_gone); /* mdev->type->parent->unreg_sem itself */
#endif
#ifndef KERNEL_ORDER
	read_trylock(ok);
#endif
	lock(list_lock);
	if
	:: !in_list -> unlock(list_lock); goto unlock_out /* -ENODEV */
	:: in_list && !mdev_active -> unlock(list_lock); goto unlock_out /* -EAGAIN */
#ifdef KERNEL_ORDER
	:: in_list && mdev_active -> mdev_active = false; unlock(list_lock)
	fi;
	read_trylock(ok);
	if
	:: !ok -> goto out /* -ENODEV: the unregistration removes it */
	:: else -> skip
	fi;
#else
	:: in_list && mdev_active && !ok -> unlock(list_lock); goto out /* -ENODEV */
	:: in_list && mdev_active && ok -> mdev_active = false; unlock(list_lock)
	fi;
#endif
	REACHED(2);
	remove_common();
unlock_out:
	if
	:: ok -> read_unlock()
	:: else -> skip
	fi;
out:
}

proctype Unregister()
{
	/* down_write(&parent->unreg_sem) */
	sem_wwait = true;
	atomic { sem_readers == 0 && !sem_writer -> sem_writer = true; sem_wwait = false };
	/* device_for_each_child(): every instance on the bus, active or not. */
	if
	:: on_bus -> REACHED(3); remove_common()
	:: else -> skip
	fi;
	/* parent_remove_sysfs_files(): kernfs drains the type attributes' users. */
	type_visible = false;
	type_active == 0;
	sem_writer = false;
	/* The vendor frees its parent state. */
	atomic { ORPHAN(!on_bus && !in_list); parent_gone = true }
}

#else /* OLD: the sequence before 5.2 (mdev_core.c as seeds/003 found it) */

/* mdev_device_remove(dev, force): vendor remove first, then device_unregister(). */
inline old_remove(force, ok)
{
	lock(list_lock);
	if
	:: !in_list -> unlock(list_lock); ok = false /* -ENODEV */
	:: in_list && !mdev_active -> unlock(list_lock); ok = false /* -EAGAIN */
	:: in_list && mdev_active -> mdev_active = false; unlock(list_lock); ok = true
	fi;
	if
	:: ok ->
		/* parent->ops->remove(): mtty's never fails. */
		FREED(!parent_gone);
		vendor_ok = false;
		rm_file = false;
		/* device_unregister(): vfio_mdev's remove waits for the user. */
		registered = false;
		users == 0;
		on_bus = false;
		lock(list_lock);
		in_list = false;
		unlock(list_lock)
	:: else -> skip
	fi
}

proctype Creator()
{
	atomic {
		if
		:: type_visible -> type_active++
		:: else -> goto out
		fi
	}
	lock(list_lock);
	if
	:: in_list -> unlock(list_lock); goto done /* -EEXIST */
	:: else -> in_list = true; mdev_active = false; unlock(list_lock)
	fi;
	/* device_register(): on the bus; vfio_mdev's probe registers the vfio device. */
	atomic { ORPHAN(!parent_gone); on_bus = true };
	registered = true;
	/* parent->ops->create(): only now does the vendor build its state. */
	FREED(!parent_gone);
	vendor_ok = true;
	/* mdev_create_sysfs_files(): the `remove` attribute. */
	rm_file = true;
	mdev_active = true;
done:
	type_active--;
out:
}

proctype Remover()
{
	bool ok;

	atomic {
		if
		:: rm_file -> rm_file = false
		:: else -> goto out
		fi
	}
	old_remove(false, ok);
out:
}

proctype Unregister()
{
	bool ok;

	/* parent_list_lock (no other taker here), then every child, forced. */
	if
	:: on_bus -> old_remove(true, ok) /* -EAGAIN ignored */
	:: else -> skip
	fi;
	type_visible = false;
	type_active == 0;
	atomic { ORPHAN(!on_bus && !in_list); parent_gone = true }
}

#endif /* OLD */

/* A VFIO user: opens the instance if it can, uses it, closes it. */
proctype User()
{
	if
	:: atomic { registered -> users++ };
		REACHED(1);
		/* open_device */
		FREED(!parent_gone);
		HALF(vendor_ok);
		/* close_device */
		FREED(!parent_gone);
		HALF(vendor_ok);
		users--
	:: skip
	fi
}

/* cat mdev_supported_types/<type>/available_instances */
proctype Reader()
{
	atomic {
		if
		:: type_visible -> type_active++
		:: else -> goto out
		fi
	}
	FREED(!parent_gone);
	type_active--;
out:
}

init
{
	byte i;

	atomic {
		do
		:: i < NCREATE -> run Creator(); i++
		:: else -> break
		od;
		run Remover();
		run User();
		run Reader();
		run Unregister()
	}
}

#ifdef LTL
ltl no_orphan { [] (parent_gone -> (!on_bus && !in_list)) }
#endif

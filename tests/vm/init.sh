#!/bin/busybox sh
# PID 1 of the kTLS test VM (see tests/vm/run.sh): load the modules the
# harness packed, share the host's root read-only at /host, mount the
# writable results folder over its own path inside it, run the command file
# in `chroot /host`, record its exit status, power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.order); do
    insmod "/modules/$m.ko" || echo "vm: insmod $m failed"
done
out=$(sed -n 's/.*rg\.out=\([^ ]*\).*/\1/p' /proc/cmdline)
mkdir -p /host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 host /host || { echo "vm: cannot mount the host root"; poweroff -f; }
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devtmpfs dev /host/dev
mkdir -p /host/dev/pts /host/dev/shm 2>/dev/null
mount -t devpts devpts /host/dev/pts
mount -t tmpfs tmpfs /host/dev/shm
# The guest's /tmp is its own tmpfs; a checkout under the host's /tmp (the
# results folder and the binaries) stays visible through a bind of its top
# folder, taken from the host's /tmp before the tmpfs hides it.
mkdir -p /hosttmp
mount -o bind /host/tmp /hosttmp
mount -t tmpfs tmpfs /host/tmp
case "$out" in
/tmp/*)
    top=${out#/tmp/}
    top=${top%%/*}
    mkdir -p "/host/tmp/$top"
    mount -o bind "/hosttmp/$top" "/host/tmp/$top" || { echo "vm: cannot show /tmp/$top"; poweroff -f; }
    ;;
esac
mount -t tmpfs tmpfs /host/run
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out "/host$out" || { echo "vm: cannot mount $out"; poweroff -f; }
ip link set lo up
echo "vm: kernel $(uname -r), ulp: $(cat /proc/sys/net/ipv4/tcp_available_ulp)"
chroot /host /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 TMPDIR=/tmp /bin/bash "$out/cmd.sh"
echo $? > "/host$out/rc"
sync
poweroff -f

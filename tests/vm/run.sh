#!/usr/bin/env bash
# Run a command inside a small VM booted with Debian's stock kernel, which
# has kTLS (CONFIG_TLS=m), unlike the CI kernel. Usage:
#
#   tests/vm/run.sh [--timeout SECS] CMD [ARGS...]
#
# The guest sees the host's root file system read-only over 9p and runs CMD
# in `chroot /host` from the current directory, with /tmp, /run and /dev/shm
# as tmpfs and the folder $VM_OUT (default target/vm/out) writable at the
# same path as on the host, for results. The guest's console (CMD's output)
# is printed here; the script exits with CMD's exit status, or 124 when the
# VM did not finish within the timeout (default 300 s).
#
# The kernel package (exact name from `apt-cache depends linux-image-amd64`,
# or $VM_KERNEL_PKG) is downloaded once, unpacked, and an initramfs with
# busybox, virtio/9p, tls and the AEAD crypto modules is built; both are
# cached under target/vm/. Needs qemu-system-x86, busybox-static, cpio.
# TCG (software emulation) is the default: a KVM guest hung at boot on the
# CI machines. VM_ACCEL=kvm asks for KVM and falls back to TCG when
# /dev/kvm is missing. VM_MEM (MiB, default 1024), VM_SMP (default 1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
timeout=300
if [[ ${1:-} == --timeout ]]; then timeout=$2; shift 2; fi
[[ $# -ge 1 ]] || { echo "usage: $0 [--timeout SECS] CMD [ARGS...]" >&2; exit 2; }

cache=${VM_CACHE:-$root/target/vm}
out=${VM_OUT:-$cache/out}
mkdir -p "$cache" "$out"
out=$(cd "$out" && pwd)

pkg=${VM_KERNEL_PKG:-$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1)}
[[ -n $pkg ]] || { echo "vm: no kernel package named by apt-cache depends linux-image-amd64" >&2; exit 1; }
kdir=$cache/$pkg
if [[ ! -f $kdir/initrd.gz ]]; then
    echo "vm: preparing $pkg in $kdir" >&2
    rm -rf "$kdir" && mkdir -p "$kdir/deb" "$kdir/initrd/modules"
    (cd "$kdir/deb" && apt-get download "$pkg" >/dev/null 2>&1) || { echo "vm: apt-get download $pkg failed" >&2; exit 1; }
    dpkg-deb -x "$kdir"/deb/*.deb "$kdir/pkg"
    cp "$kdir"/pkg/boot/vmlinuz-* "$kdir/vmlinuz"
    mods=$(echo "$kdir"/pkg/lib/modules/*/kernel)
    # Modules wanted, then their `depends=` (from .modinfo) first: a
    # depth-first walk that prints each module after its dependencies. The
    # crypto templates (gcm, ctr, ghash, chacha, poly1305) are soft
    # dependencies of tls that the kernel would load with modprobe, which
    # the guest does not have, so they are listed here.
    declare -A path seen
    while read -r f; do n=$(basename "$f" .ko); path[${n//-/_}]=$f; done < <(find "$mods" -name '*.ko')
    order=()
    visit() {
        local n=${1//-/_} d
        [[ -n ${seen[$n]:-} ]] && return
        seen[$n]=1
        [[ -n ${path[$n]:-} ]] || { echo "vm: module $n not in $pkg" >&2; exit 1; }
        for d in $(tr '\0' '\n' < "${path[$n]}" | sed -n 's/^depends=//p' | tr ',' ' '); do visit "$d"; done
        order+=("$n")
    }
    for m in virtio_pci 9pnet_virtio 9p tls ctr ghash_generic gcm aesni_intel \
        chacha_generic chacha_x86_64 poly1305_generic poly1305_x86_64 chacha20poly1305; do
        visit "$m"
    done
    for n in "${order[@]}"; do cp "${path[$n]}" "$kdir/initrd/modules/$n.ko"; done
    printf '%s\n' "${order[@]}" > "$kdir/initrd/modules.order"
    mkdir -p "$kdir"/initrd/{bin,proc,sys,dev}
    cp "$(command -v busybox)" "$kdir/initrd/bin/busybox"
    cp "$here/init.sh" "$kdir/initrd/init" && chmod +x "$kdir/initrd/init"
    (cd "$kdir/initrd" && find . | cpio -o -H newc --quiet | gzip -1 > "$kdir/initrd.gz.tmp")
    mv "$kdir/initrd.gz.tmp" "$kdir/initrd.gz"
    rm -rf "$kdir/deb" "$kdir/pkg"
fi
# The init script is small: refresh it in the cached image when it changed.
if ! cmp -s "$here/init.sh" <(cd "$kdir/initrd" && cat init); then
    cp "$here/init.sh" "$kdir/initrd/init"
    (cd "$kdir/initrd" && find . | cpio -o -H newc --quiet | gzip -1 > "$kdir/initrd.gz")
fi

{
    echo "cd $(printf %q "$PWD") || exit 1"
    printf '%q ' "$@"
    echo
} > "$out/cmd.sh"
rm -f "$out/rc"

accel=tcg cpu=max
if [[ ${VM_ACCEL:-tcg} == kvm ]]; then
    if [[ -r /dev/kvm && -w /dev/kvm ]]; then accel=kvm cpu=host; else echo "vm: no /dev/kvm, using TCG" >&2; fi
fi
set +e
timeout --foreground -k 5 "$timeout" qemu-system-x86_64 -accel "$accel" -cpu "$cpu" \
    -m "${VM_MEM:-1024}" -smp "${VM_SMP:-1}" -nographic -no-reboot -monitor none -nic none \
    -kernel "$kdir/vmlinuz" -initrd "$kdir/initrd.gz" \
    -append "console=ttyS0 quiet panic=-1 rg.out=$out" \
    -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$out,mount_tag=out,security_model=none,multidevs=remap" </dev/null
qrc=$?
set -e
if [[ $qrc == 124 || $qrc == 137 ]]; then echo "vm: timed out after ${timeout}s" >&2; exit 124; fi
[[ -f $out/rc ]] || { echo "vm: the guest stopped without a result (qemu exit $qrc)" >&2; exit 1; }
exit "$(cat "$out/rc")"

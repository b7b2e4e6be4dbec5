package dev.kindling.catalog;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.function.Predicate;

/**
 * Which picture references an encoding run follows. An item's {@code image} can name a local path or a URL; from a
 * command-line import that is the operator's own catalogue, but through the API it is anyone's input, and following
 * it blindly reads local files and makes requests inside the network (server-side request forgery).
 *
 * @param allowRemote     whether http(s) pictures are fetched at all
 * @param allowedHost     which resolved addresses may be contacted, checked for every address of every hop
 *                        (redirects are followed one by one, at most {@value ImageSources#MAX_REDIRECTS})
 * @param localUnderImagesDir whether local paths are read only inside the images directory (none without one)
 */
public record ImagePolicy(boolean allowRemote, Predicate<InetAddress> allowedHost, boolean localUnderImagesDir) {
    /** The command line's: the operator's own catalogue; every reference is followed. */
    public static final ImagePolicy TRUSTED = new ImagePolicy(true, a -> true, false);

    /** The API's: remote pictures only when allowed and only from public hosts, local ones only under the images dir. */
    public static ImagePolicy untrusted(boolean allowRemote) {
        return new ImagePolicy(allowRemote, ImagePolicy::isPublic, true);
    }

    /**
     * Whether an address is on the public internet: not the unspecified address, loopback, link-local (169.254/16,
     * where cloud metadata services answer), private (10/8, 172.16/12, 192.168/16, fec0::/10), unique-local
     * (fc00::/7), shared carrier-grade NAT space (100.64/10), "this network" (0/8) or multicast.
     */
    public static boolean isPublic(InetAddress a) {
        if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return false;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet6Address) {
            return (b[0] & 0xfe) != 0xfc;
        }
        int first = b[0] & 0xff;
        int second = b[1] & 0xff;
        return first != 0 && !(first == 100 && second >= 64 && second < 128);
    }
}

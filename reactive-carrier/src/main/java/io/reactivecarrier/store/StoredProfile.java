package io.reactivecarrier.store;

import java.util.Objects;

/**
 * The node's own profile as shown to friends.
 *
 * @param name the display name, never null (empty when unset)
 * @param description the status or description, never null (empty when unset)
 *
 * <pre>{@code
 * store.setProfile(new StoredProfile("Alice", "on holiday until Monday"))
 *         .then(store.profile())
 *         .subscribe(p -> System.out.println(p.name() + ": " + p.description()));
 * }</pre>
 */
public record StoredProfile(String name, String description) {

    /** The profile of a new node: empty name and description. */
    public static final StoredProfile EMPTY = new StoredProfile("", "");

    /** Checks for null. */
    public StoredProfile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
    }
}

package io.reactivecarrier.samples;

/** The README's demo: placeholder until the transport lands. */
public final class Demo {

    private Demo() {
    }

    public static void main(String[] args) {
        System.out.println("reactive-carrier demo");
    }
}

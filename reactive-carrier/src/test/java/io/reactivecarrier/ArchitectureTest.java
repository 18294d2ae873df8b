package io.reactivecarrier;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Enforces the layering of the design guide: each package uses only the packages below it.
 * The order, top to bottom, is {@link #LAYERS}. {@code core} holds the value types and errors
 * every layer shares (user ids, addresses, the exception hierarchy), so it is the bottom.
 */
class ArchitectureTest {

    static final List<String> LAYERS = List.of(
            "", "session", "message", "friend", "link", "dht", "transport", "wire", "crypto", "store", "core");

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.reactivecarrier");

    @Test
    void eachLayerUsesOnlyTheLayersBelowIt() {
        Architectures.LayeredArchitecture arch = Architectures.layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true);
        for (String layer : LAYERS) {
            arch = arch.layer(name(layer)).definedBy(pattern(layer));
        }
        for (int i = 0; i < LAYERS.size(); i++) {
            String[] above = LAYERS.subList(0, i).stream().map(ArchitectureTest::name).toArray(String[]::new);
            if (above.length == 0) {
                arch = arch.whereLayer(name(LAYERS.get(i))).mayNotBeAccessedByAnyLayer();
            } else {
                arch = arch.whereLayer(name(LAYERS.get(i))).mayOnlyBeAccessedByLayers(above);
            }
        }
        arch.check(CLASSES);
    }

    @Test
    void noPackageCycles() {
        ArchRule rule = slices().matching("io.reactivecarrier.(*)..").should().beFreeOfCycles().allowEmptyShould(true);
        rule.check(CLASSES);
    }

    @Test
    void layerListMatchesTheDesign() {
        // a guard against someone adding a package without placing it in the order
        String[] known = CLASSES.stream()
                .map(c -> c.getPackageName().replaceFirst("^io\\.reactivecarrier\\.?", "").replaceFirst("\\..*", ""))
                .distinct()
                .filter(p -> !LAYERS.contains(p))
                .toArray(String[]::new);
        org.assertj.core.api.Assertions.assertThat(known)
                .as("packages not placed in ArchitectureTest.LAYERS: %s", Arrays.toString(known))
                .isEmpty();
    }

    private static String name(String layer) {
        return layer.isEmpty() ? "root" : layer;
    }

    private static String pattern(String layer) {
        return layer.isEmpty() ? "io.reactivecarrier" : "io.reactivecarrier." + layer + "..";
    }
}

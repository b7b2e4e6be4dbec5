package dev.kindling.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class CsvReaderTest {
    private static CsvReader reader(String text) {
        return new CsvReader(new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                StandardCharsets.UTF_8), ',');
    }

    @Test
    void parsesQuotingAndLineEndings() throws Exception {
        CsvReader r = reader("\uFEFFa,b,c\r\n\"x,1\",\"y\"\"q\"\"\",\r\n\"multi\nline\",2,3\nlast,,\"\"");
        assertThat(r.next()).containsExactly("a", "b", "c");
        assertThat(r.next()).containsExactly("x,1", "y\"q\"", "");
        assertThat(r.next()).containsExactly("multi\nline", "2", "3");
        assertThat(r.recordLine()).isEqualTo(3);
        assertThat(r.next()).containsExactly("last", "", "");
        assertThat(r.recordLine()).isEqualTo(5);
        assertThat(r.next()).isNull();
        assertThat(r.bytesRead()).isEqualTo(("\uFEFFa,b,c\r\n\"x,1\",\"y\"\"q\"\"\",\r\n\"multi\nline\",2,3\nlast,,\"\"")
                .getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void reportsBadQuoting() throws Exception {
        CsvReader r = reader("ok,1\n\"open,2\nmore\n");
        assertThat(r.next()).isEqualTo(List.of("ok", "1"));
        assertThatThrownBy(r::next).isInstanceOf(RowFormatException.class).hasMessageContaining("unterminated");
        CsvReader s = reader("\"a\"b,1\n");
        assertThatThrownBy(s::next).isInstanceOf(RowFormatException.class).hasMessageContaining("after a closing quote");
    }
}

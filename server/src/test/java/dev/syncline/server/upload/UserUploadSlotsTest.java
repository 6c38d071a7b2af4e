package dev.syncline.server.upload;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class UserUploadSlotsTest {
    @Test
    void eachUserHasItsOwnCapAndAClosedSlotIsGivenBackOnce() {
        UserUploadSlots slots = new UserUploadSlots(2);
        UserUploadSlots.Slot a1 = slots.tryAcquire("alice");
        UserUploadSlots.Slot a2 = slots.tryAcquire("alice");
        assertThat(a1).isNotNull();
        assertThat(a2).isNotNull();
        assertThat(slots.tryAcquire("alice")).isNull();
        assertThat(slots.tryAcquire("bob")).isNotNull();
        a1.close();
        a1.close(); // twice: still one slot back, not two
        assertThat(slots.tryAcquire("alice")).isNotNull();
        assertThat(slots.tryAcquire("alice")).isNull();
        a2.close();
        assertThat(slots.users()).isEqualTo(2);
    }

    @Test
    void usersWithNothingInFlightAreForgotten() {
        UserUploadSlots slots = new UserUploadSlots(1);
        slots.tryAcquire("alice").close();
        assertThat(slots.tryAcquire("bob")).isNotNull();
        assertThat(slots.users()).isOne();
    }
}

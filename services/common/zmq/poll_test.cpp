#include "common/zmq/poll.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

TEST(PollFor, ReportsAWaitingMessageAndTimesOutOtherwise) {
  zmq::context_t context(1);
  zmq::socket_t router(context, zmq::socket_type::router);
  router.bind("inproc://poll-test");
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::routing_id, "peer-1");
  dealer.connect("inproc://poll-test");

  zmq::pollitem_t items[] = {{router.handle(), 0, ZMQ_POLLIN, 0}};
  EXPECT_EQ(PollFor(items, std::chrono::milliseconds(0)), 0);

  ASSERT_TRUE(dealer.send(zmq::str_buffer("hello"), zmq::send_flags::none));
  EXPECT_EQ(PollFor(items, std::chrono::milliseconds(5000)), 1);
  EXPECT_TRUE(items[0].revents & ZMQ_POLLIN);

  RoutedMessage message;
  ASSERT_TRUE(RecvRouted(router, message));
  EXPECT_EQ(message.identity, "peer-1");
  EXPECT_EQ(message.payload.to_string(), "hello");
  EXPECT_FALSE(RecvRouted(router, message));
}

TEST(RecvRouted, SkipsMessagesOfAnotherShape) {
  zmq::context_t context(1);
  zmq::socket_t router(context, zmq::socket_type::router);
  router.bind("inproc://shape-test");
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::routing_id, "peer-2");
  dealer.connect("inproc://shape-test");
  ASSERT_TRUE(dealer.send(zmq::str_buffer("a"), zmq::send_flags::sndmore));
  ASSERT_TRUE(dealer.send(zmq::str_buffer("b"), zmq::send_flags::none));
  ASSERT_TRUE(dealer.send(zmq::str_buffer("wanted"), zmq::send_flags::none));
  zmq::pollitem_t items[] = {{router.handle(), 0, ZMQ_POLLIN, 0}};
  ASSERT_EQ(PollFor(items, std::chrono::milliseconds(5000)), 1);
  RoutedMessage message;
  ASSERT_TRUE(RecvRouted(router, message));
  EXPECT_EQ(message.payload.to_string(), "wanted");
}

}  // namespace
}  // namespace synchub

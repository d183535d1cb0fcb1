#include "element_common.hpp"

namespace ksim::gst {

void install_element_properties(GObjectClass* klass, const char* pin_blurb) {
    const auto flags =
        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
    g_object_class_install_property(klass, kPropPin,
                                    g_param_spec_string("pin", "Pin", pin_blurb, nullptr, flags));
    g_object_class_install_property(
        klass, kPropSocket,
        g_param_spec_string("socket", "Socket",
                            "ksimd's socket (NULL: libksim's default, $XDG_RUNTIME_DIR/ksim/ksimd.sock; "
                            "/run/ksim/ksimd.sock as root)",
                            nullptr, flags));
    g_object_class_install_property(
        klass, kPropCommitTimeout,
        g_param_spec_uint("commit-timeout", "Commit timeout",
                          "How long to wait for the graph manager to commit the pin's allocator (ms)", 0,
                          G_MAXUINT, 10'000, flags));
}

bool set_element_property(GObject* object, ElementSettings& settings, guint id, const GValue* value) {
    GST_OBJECT_LOCK(object);
    bool known = true;
    switch (id) {
        case kPropPin: {
            const char* s = g_value_get_string(value);
            settings.pin = s ? s : "";
            break;
        }
        case kPropSocket: {
            const char* s = g_value_get_string(value);
            settings.socket = s ? s : "";
            break;
        }
        case kPropCommitTimeout:
            settings.commit_timeout_ms = g_value_get_uint(value);
            break;
        default:
            known = false;
    }
    GST_OBJECT_UNLOCK(object);
    return known;
}

bool get_element_property(GObject* object, const ElementSettings& settings, guint id, GValue* value) {
    GST_OBJECT_LOCK(object);
    bool known = true;
    switch (id) {
        case kPropPin:
            g_value_set_string(value, settings.pin.empty() ? nullptr : settings.pin.c_str());
            break;
        case kPropSocket:
            g_value_set_string(value, settings.socket.empty() ? nullptr : settings.socket.c_str());
            break;
        case kPropCommitTimeout:
            g_value_set_uint(value, settings.commit_timeout_ms);
            break;
        default:
            known = false;
    }
    GST_OBJECT_UNLOCK(object);
    return known;
}

PinSessionOptions session_options(GstElement* element, const ElementSettings& settings, PinRole role) {
    PinSessionOptions o;
    GST_OBJECT_LOCK(element);
    o.pin = settings.pin;
    o.socket = settings.socket;
    o.commit_timeout = std::chrono::milliseconds(settings.commit_timeout_ms);
    GST_OBJECT_UNLOCK(element);
    o.role = role;
    o.client_name = GST_ELEMENT_NAME(element);
    return o;
}

void post_error(GstElement* element, const Error& error, bool streaming, bool writing) {
    const std::string debug = std::string(to_string(error.code)) + ": " + error.message;
    if (error.code == Errc::InvalidArgument) {
        GST_ELEMENT_ERROR(element, RESOURCE, SETTINGS, ("%s", error.message.c_str()), ("%s", debug.c_str()));
        return;
    }
    const char* what = error.code == Errc::Disconnected
                           ? (streaming ? "ksimd went away" : "cannot reach ksimd")
                           : (streaming ? "ksimd refused a frame hand-off" : "cannot open the ksim pin");
    const std::string text = std::string(what) + ": " + error.message;
    if (!streaming)
        GST_ELEMENT_ERROR(element, RESOURCE, OPEN_READ_WRITE, ("%s", text.c_str()), ("%s", debug.c_str()));
    else if (writing)
        GST_ELEMENT_ERROR(element, RESOURCE, WRITE, ("%s", text.c_str()), ("%s", debug.c_str()));
    else
        GST_ELEMENT_ERROR(element, RESOURCE, READ, ("%s", text.c_str()), ("%s", debug.c_str()));
}

}  // namespace ksim::gst

#include "validate/schema_model.hpp"

#include <nlohmann/json.hpp>

#include "core/version_json.hpp"
#include "util/error.hpp"

namespace sm::validate {
namespace {

constexpr const char* k_format = "safe-migrate-schema/1";

}  // namespace

void SchemaModel::add(SchemaObject object) {
    std::string key = object.key();
    objects[key] = std::move(object);
}

const SchemaObject* SchemaModel::find(const std::string& key) const {
    auto it = objects.find(key);
    return it == objects.end() ? nullptr : &it->second;
}

std::string model_to_json(const SchemaModel& model) {
    nlohmann::ordered_json objects = nlohmann::ordered_json::array();
    for (const auto& [key, o] : model.objects) {
        nlohmann::ordered_json attributes = nlohmann::ordered_json::object();
        for (const auto& [name, value] : o.attributes) {
            attributes[name] = value;
        }
        nlohmann::ordered_json entry = {{"kind", o.kind}, {"name", o.name}};
        if (!o.parent.empty()) {
            entry["parent"] = o.parent;
        }
        entry["attributes"] = std::move(attributes);
        objects.push_back(std::move(entry));
    }
    nlohmann::ordered_json out = {
        {"format", k_format},
        {"head", model.head ? nlohmann::ordered_json(*model.head) : nlohmann::ordered_json()},
        {"versions", model.versions},
        {"objects", std::move(objects)}};
    return out.dump(2) + "\n";
}

SchemaModel model_from_json(const std::string& text, const std::string& source) {
    auto bad = [&](const std::string& why) {
        return Error(ExitCode::invalid_input, source + " is not a schema snapshot: " + why,
                     "Write one with 'safe-migrate schema dump --out FILE'.");
    };
    nlohmann::json in;
    try {
        in = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw bad(std::string("invalid JSON (") + e.what() + ")");
    }
    if (!in.is_object() || in.value("format", std::string()) != k_format) {
        throw bad(std::string("format is not ") + k_format);
    }
    SchemaModel model;
    try {
        if (in.contains("head") && !in["head"].is_null()) {
            model.head = in["head"].get<core::Version>();
        }
        if (in.contains("versions")) {
            model.versions = in["versions"].get<std::vector<core::Version>>();
        }
        for (const auto& entry : in.at("objects")) {
            SchemaObject o;
            o.kind = entry.at("kind").get<std::string>();
            o.name = entry.at("name").get<std::string>();
            o.parent = entry.value("parent", std::string());
            o.attributes = entry.at("attributes").get<std::map<std::string, std::string>>();
            model.add(std::move(o));
        }
    } catch (const nlohmann::json::exception& e) {
        throw bad(e.what());
    }
    return model;
}

}  // namespace sm::validate

{
  "variables": {
    "onednn_dir%": "<!(node -p \"process.env.OPTIFLOW_ONEDNN_DIR || ''\")"
  },
  "targets": [
    {
      "target_name": "optiflow_onednn",
      "sources": [
        "src/addon.cc",
        "src/parse.cc",
        "src/builder.cc",
        "src/builder-ops.cc",
        "src/builder-binary.cc",
        "src/builder-int8.cc",
        "src/engine.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-frtti", "-fopenmp", "-Wall", "-Wno-unused-parameter"],
      "libraries": ["-ldnnl", "-fopenmp"],
      "conditions": [
        ["onednn_dir!=''", {
          "include_dirs": ["<(onednn_dir)/include"],
          "libraries": ["-L<(onednn_dir)/lib", "-Wl,-rpath,<(onednn_dir)/lib"]
        }]
      ]
    }
  ]
}

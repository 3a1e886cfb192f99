! mlp.f90 - the Fortran module of libmlp:  use mlp
!
! Every procedure here calls the C function of the same name in mlp.h, whose
! comment is its contract (shapes, statuses, thread safety). What the
! module adds:
!
! - A network is a type(mlp_net). mlp_create (or mlp_load, mlp_clone) fills
!   it, freeing the network it held before; mlp_free releases it. A local
!   mlp_net of a procedure is also released when the procedure returns
!   (finalisation), so mlp_free is only needed for networks of the main
!   program, saved or module variables, or to release one early. An
!   mlp_net that holds no network makes every function return MLP_ERR_ARG.
!   Assignment (b = a) makes b an independent deep copy (mlp_clone; b holds
!   no network if that fails), so two variables never share one network.
!   type(mlp_workspace) is owned the same way (mlp_workspace_create,
!   mlp_workspace_free), but a workspace is scratch: after b = a, b holds
!   none.
! - Arrays hold one sample per column, the sample being the last dimension:
!   X(n_0, batch) has exactly the bytes of C's row-major batch x n_0 array,
!   so the library works on the caller's array itself and nothing is copied
!   on any call. Arrays must therefore be contiguous (whole arrays, or
!   column ranges X(:, i:j)): a non-contiguous section gives MLP_ERR_ARG
!   rather than a hidden copy, as does a shape that does not match the
!   network (the number of rows) or the other arrays (the batch).
! - The network's own matrices are seen the same way: mlp_weights(net, l)
!   is a pointer W(n_(l-1), n_l) into the network, W(j, i) being C's
!   W[i][j]; mlp_jacobian's J(n_0, n_L, batch) is C's batch x n_L x n_0.
! - Functions that return a status return integer(c_int), compared with
!   the named constants MLP_OK, MLP_ERR_ARG, ... (the C names and values);
!   mlp_strerror gives its message as a Fortran string. Functions without
!   a status in C (mlp_free, mlp_fit_defaults, ...) are subroutines.
! - Numbers of the model and data are real(c_double) (real(c_float) for the
!   mlpf_ family); hyper-parameters (learning rate, momentum, ...) are
!   real(c_double) in both, as in C. Seeds
!   may be integer(c_int32_t) or integer(c_int64_t) (the C uint64_t's bits).
!
! Single precision: the C library's mlpf_ family is bound the same way, with
! a type(mlpf_net) (and type(mlpf_workspace)) and real(c_float) arrays,
! under the mlpf_* C names. Every public mlp_* name is a generic interface
! with a specific for each precision (ending in _d and _f), so one call
! site serves either: mlp_predict(net, X, Y) calls mlpf_predict when net is
! an mlpf_net and X, Y are real(c_float).
!
! Building: the library's build compiles this file when a Fortran compiler
! is found and installs the module and libmlp_fortran (pkg-config
! mlp-fortran). With another compiler, compile this installed source
! yourself and link with -lmlp.
module mlp
  use, intrinsic :: iso_c_binding, only: c_int, c_int8_t, c_int32_t, c_int64_t, &
      c_size_t, c_double, c_float, c_char, c_ptr, c_funptr, c_null_ptr, c_null_funptr, &
      c_null_char, c_associated, c_loc, c_f_pointer
  implicit none
  private

  ! ------------------------------------------------------------------------
  ! Constants: the values of mlp.h's enums, under their C names.

  ! mlp_status
  integer(c_int), parameter, public :: MLP_OK = 0, MLP_ERR_ARG = 1, &
      MLP_ERR_NOMEM = 2, MLP_ERR_NONFINITE = 3, MLP_ERR_IO = 4, &
      MLP_ERR_FORMAT = 5
  ! mlp_activation
  integer(c_int), parameter, public :: MLP_SIGMOID = 0, MLP_TANH = 1, &
      MLP_RELU = 2, MLP_IDENTITY = 3, MLP_SOFTMAX = 4
  ! mlp_loss
  integer(c_int), parameter, public :: MLP_MSE = 0, MLP_CROSS_ENTROPY = 1
  ! mlp_init_kind
  integer(c_int), parameter, public :: MLP_INIT_DEFAULT = 0, &
      MLP_INIT_GLOROT_UNIFORM = 1, MLP_INIT_GLOROT_NORMAL = 2, &
      MLP_INIT_HE_UNIFORM = 3, MLP_INIT_HE_NORMAL = 4, MLP_INIT_ORTHOGONAL = 5
  ! mlp_fit_stop
  integer(c_int), parameter, public :: MLP_FIT_COMPLETED = 0, &
      MLP_FIT_EARLY_STOPPED = 1, MLP_FIT_STOPPED_BY_CALLBACK = 2, &
      MLP_FIT_FAILED = 3

  ! ------------------------------------------------------------------------
  ! Types

  ! A network: owns the C mlp_t it points to.
  type, public :: mlp_net
    private
    type(c_ptr) :: ptr = c_null_ptr
  contains
    procedure, private :: assign_net
    generic :: assignment(=) => assign_net
    final :: final_net
  end type mlp_net

  ! The same for the single-precision family: an mlpf_t, an
  ! mlpf_workspace_t.
  type, public :: mlpf_net
    private
    type(c_ptr) :: ptr = c_null_ptr
  contains
    procedure, private :: assign_net_f
    generic :: assignment(=) => assign_net_f
    final :: final_net_f
  end type mlpf_net

  type, public :: mlpf_workspace
    private
    type(c_ptr) :: ptr = c_null_ptr
  contains
    procedure, private :: assign_workspace_f
    generic :: assignment(=) => assign_workspace_f
    final :: final_workspace_f
  end type mlpf_workspace

  ! Scratch for mlp_predict_ws (and the derivatives): owns an
  ! mlp_workspace_t.
  type, public :: mlp_workspace
    private
    type(c_ptr) :: ptr = c_null_ptr
  contains
    procedure, private :: assign_workspace
    generic :: assignment(=) => assign_workspace
    final :: final_workspace
  end type mlp_workspace

  ! The structs of mlp_fit, field for field (mlp.h says what each means).
  type, bind(c), public :: mlp_fit_progress
    integer(c_size_t) :: epoch, epochs, batch, batches
    real(c_double) :: train_cost, val_cost, elapsed
    integer(c_int) :: epoch_done
  end type mlp_fit_progress

  type, bind(c), public :: mlp_fit_options
    integer(c_size_t) :: epochs = 10, batch_size = 32
    integer(c_int64_t) :: seed = 0
    real(c_double) :: validation = 0
    integer(c_size_t) :: patience = 0
    real(c_double) :: min_delta = 0
    integer(c_int) :: restore_best = 1
    integer(c_size_t) :: report_every = 0
    type(c_funptr) :: callback = c_null_funptr   ! c_funloc of an mlp_fit_callback
    type(c_ptr) :: user = c_null_ptr
  end type mlp_fit_options

  type, bind(c), public :: mlp_fit_result
    integer(c_size_t) :: epochs_run, best_epoch
    real(c_double) :: train_cost, val_cost, best_val_cost
    integer(c_int) :: stop
  end type mlp_fit_result

  ! The callback of mlp_fit: write it as
  !   integer(c_int) function my_callback(progress, user) bind(c)
  !     type(mlp_fit_progress), intent(in) :: progress
  !     type(c_ptr), value :: user
  ! and set options%callback = c_funloc(my_callback). Non-zero stops.
  abstract interface
    function mlp_fit_callback(progress, user) bind(c) result(stop)
      import :: mlp_fit_progress, c_ptr, c_int
      type(mlp_fit_progress), intent(in) :: progress
      type(c_ptr), value :: user
      integer(c_int) :: stop
    end function mlp_fit_callback
  end interface
  public :: mlp_fit_callback

  ! ------------------------------------------------------------------------
  ! The public procedures: generic names (the C names), _d specifics.

  public :: mlp_version, mlp_strerror
  public :: mlp_create, mlp_free, mlp_clone
  public :: mlp_n_layers, mlp_layer_size, mlp_layer_activation, mlp_loss_kind, &
      mlp_n_params
  public :: mlp_weights, mlp_biases, mlp_weight_grads, mlp_bias_grads, &
      mlp_params, mlp_grads
  public :: mlp_predict, mlp_backprop
  public :: mlp_set_scaling, mlp_fit_scaling, mlp_get_scaling
  public :: mlp_set_sgd, mlp_step, mlp_train_batch, mlp_set_adam, &
      mlp_set_weight_decay, mlp_init
  public :: mlp_fit_defaults, mlp_fit
  public :: mlp_set_blas_threads, mlp_blas_threads
  public :: mlp_save, mlp_load, mlp_load_buffer, mlp_saved_size, mlp_save_buffer
  public :: mlp_workspace_create, mlp_workspace_free, mlp_predict_ws
  public :: mlp_jacobian, mlp_vjp, mlp_jvp

  public :: mlpf_create, mlpf_free, mlpf_clone
  public :: mlpf_n_layers, mlpf_layer_size, mlpf_layer_activation, mlpf_loss_kind, &
      mlpf_n_params
  public :: mlpf_weights, mlpf_biases, mlpf_weight_grads, mlpf_bias_grads, &
      mlpf_params, mlpf_grads
  public :: mlpf_predict, mlpf_backprop
  public :: mlpf_set_scaling, mlpf_fit_scaling, mlpf_get_scaling
  public :: mlpf_set_sgd, mlpf_step, mlpf_train_batch, mlpf_set_adam, &
      mlpf_set_weight_decay, mlpf_init
  public :: mlpf_fit
  public :: mlpf_save, mlpf_load, mlpf_load_buffer, mlpf_saved_size, mlpf_save_buffer
  public :: mlpf_workspace_create, mlpf_workspace_free, mlpf_predict_ws
  public :: mlpf_jacobian, mlpf_vjp, mlpf_jvp

  interface mlp_create
    module procedure mlp_create_d32, mlp_create_d64, mlp_create_f32, mlp_create_f64
  end interface
  interface mlpf_create
    module procedure mlp_create_f32, mlp_create_f64
  end interface
  interface mlp_free
    module procedure mlp_free_d, mlp_free_f
  end interface
  interface mlpf_free
    module procedure mlp_free_f
  end interface
  interface mlp_clone
    module procedure mlp_clone_d, mlp_clone_f
  end interface
  interface mlpf_clone
    module procedure mlp_clone_f
  end interface
  interface mlp_n_layers
    module procedure mlp_n_layers_d, mlp_n_layers_f
  end interface
  interface mlpf_n_layers
    module procedure mlp_n_layers_f
  end interface
  interface mlp_layer_size
    module procedure mlp_layer_size_d, mlp_layer_size_f
  end interface
  interface mlpf_layer_size
    module procedure mlp_layer_size_f
  end interface
  interface mlp_layer_activation
    module procedure mlp_layer_activation_d, mlp_layer_activation_f
  end interface
  interface mlpf_layer_activation
    module procedure mlp_layer_activation_f
  end interface
  interface mlp_loss_kind
    module procedure mlp_loss_kind_d, mlp_loss_kind_f
  end interface
  interface mlpf_loss_kind
    module procedure mlp_loss_kind_f
  end interface
  interface mlp_n_params
    module procedure mlp_n_params_d, mlp_n_params_f
  end interface
  interface mlpf_n_params
    module procedure mlp_n_params_f
  end interface
  interface mlp_weights
    module procedure mlp_weights_d, mlp_weights_f
  end interface
  interface mlpf_weights
    module procedure mlp_weights_f
  end interface
  interface mlp_biases
    module procedure mlp_biases_d, mlp_biases_f
  end interface
  interface mlpf_biases
    module procedure mlp_biases_f
  end interface
  interface mlp_weight_grads
    module procedure mlp_weight_grads_d, mlp_weight_grads_f
  end interface
  interface mlpf_weight_grads
    module procedure mlp_weight_grads_f
  end interface
  interface mlp_bias_grads
    module procedure mlp_bias_grads_d, mlp_bias_grads_f
  end interface
  interface mlpf_bias_grads
    module procedure mlp_bias_grads_f
  end interface
  interface mlp_params
    module procedure mlp_params_d, mlp_params_f
  end interface
  interface mlpf_params
    module procedure mlp_params_f
  end interface
  interface mlp_grads
    module procedure mlp_grads_d, mlp_grads_f
  end interface
  interface mlpf_grads
    module procedure mlp_grads_f
  end interface
  interface mlp_predict
    module procedure mlp_predict_d, mlp_predict_f
  end interface
  interface mlpf_predict
    module procedure mlp_predict_f
  end interface
  interface mlp_backprop
    module procedure mlp_backprop_d, mlp_backprop_f
  end interface
  interface mlpf_backprop
    module procedure mlp_backprop_f
  end interface
  interface mlp_set_scaling
    module procedure mlp_set_scaling_d, mlp_set_scaling_f
  end interface
  interface mlpf_set_scaling
    module procedure mlp_set_scaling_f
  end interface
  interface mlp_fit_scaling
    module procedure mlp_fit_scaling_d, mlp_fit_scaling_f
  end interface
  interface mlpf_fit_scaling
    module procedure mlp_fit_scaling_f
  end interface
  interface mlp_get_scaling
    module procedure mlp_get_scaling_d, mlp_get_scaling_f
  end interface
  interface mlpf_get_scaling
    module procedure mlp_get_scaling_f
  end interface
  interface mlp_set_sgd
    module procedure mlp_set_sgd_d, mlp_set_sgd_f
  end interface
  interface mlpf_set_sgd
    module procedure mlp_set_sgd_f
  end interface
  interface mlp_step
    module procedure mlp_step_d, mlp_step_f
  end interface
  interface mlpf_step
    module procedure mlp_step_f
  end interface
  interface mlp_train_batch
    module procedure mlp_train_batch_d, mlp_train_batch_f
  end interface
  interface mlpf_train_batch
    module procedure mlp_train_batch_f
  end interface
  interface mlp_set_adam
    module procedure mlp_set_adam_d, mlp_set_adam_f
  end interface
  interface mlpf_set_adam
    module procedure mlp_set_adam_f
  end interface
  interface mlp_set_weight_decay
    module procedure mlp_set_weight_decay_d, mlp_set_weight_decay_f
  end interface
  interface mlpf_set_weight_decay
    module procedure mlp_set_weight_decay_f
  end interface
  interface mlp_init
    module procedure mlp_init_d32, mlp_init_d64, mlp_init_f32, mlp_init_f64
  end interface
  interface mlpf_init
    module procedure mlp_init_f32, mlp_init_f64
  end interface
  interface mlp_fit
    module procedure mlp_fit_d, mlp_fit_f
  end interface
  interface mlpf_fit
    module procedure mlp_fit_f
  end interface
  interface mlp_save
    module procedure mlp_save_d, mlp_save_f
  end interface
  interface mlpf_save
    module procedure mlp_save_f
  end interface
  interface mlp_load
    module procedure mlp_load_d, mlp_load_f
  end interface
  interface mlpf_load
    module procedure mlp_load_f
  end interface
  interface mlp_load_buffer
    module procedure mlp_load_buffer_d, mlp_load_buffer_f
  end interface
  interface mlpf_load_buffer
    module procedure mlp_load_buffer_f
  end interface
  interface mlp_saved_size
    module procedure mlp_saved_size_d, mlp_saved_size_f
  end interface
  interface mlpf_saved_size
    module procedure mlp_saved_size_f
  end interface
  interface mlp_save_buffer
    module procedure mlp_save_buffer_d, mlp_save_buffer_f
  end interface
  interface mlpf_save_buffer
    module procedure mlp_save_buffer_f
  end interface
  interface mlp_workspace_create
    module procedure mlp_workspace_create_d, mlp_workspace_create_f
  end interface
  interface mlpf_workspace_create
    module procedure mlp_workspace_create_f
  end interface
  interface mlp_workspace_free
    module procedure mlp_workspace_free_d, mlp_workspace_free_f
  end interface
  interface mlpf_workspace_free
    module procedure mlp_workspace_free_f
  end interface
  interface mlp_predict_ws
    module procedure mlp_predict_ws_d, mlp_predict_ws_f
  end interface
  interface mlpf_predict_ws
    module procedure mlp_predict_ws_f
  end interface
  interface mlp_jacobian
    module procedure mlp_jacobian_d, mlp_jacobian_f
  end interface
  interface mlpf_jacobian
    module procedure mlp_jacobian_f
  end interface
  interface mlp_vjp
    module procedure mlp_vjp_d, mlp_vjp_f
  end interface
  interface mlpf_vjp
    module procedure mlp_vjp_f
  end interface
  interface mlp_jvp
    module procedure mlp_jvp_d, mlp_jvp_f
  end interface
  interface mlpf_jvp
    module procedure mlp_jvp_f
  end interface

  ! Helpers for either precision.
  interface address2
    module procedure address2_d, address2_f
  end interface
  interface address1
    module procedure address1_d, address1_f
  end interface
  interface fits
    module procedure fits_d, fits_f
  end interface

  ! ------------------------------------------------------------------------
  ! The C functions (private): size_t is c_size_t, enums are c_int, and
  ! arrays are passed as c_ptr so that NULL can be given where C allows it.
  ! The shape queries only read the network and are declared pure, so that
  ! they can be used in pure procedures and specification expressions.
  interface
    function c_strlen(s) bind(c, name='strlen') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: s
      integer(c_size_t) :: n
    end function
    function c_version() bind(c, name='mlp_version') result(s)
      import :: c_ptr
      type(c_ptr) :: s
    end function
    function c_strerror(status) bind(c, name='mlp_strerror') result(s)
      import :: c_ptr, c_int
      integer(c_int), value :: status
      type(c_ptr) :: s
    end function
    function c_create(net, n_layers, sizes, acts, loss, seed) &
        bind(c, name='mlp_create') result(status)
      import :: c_ptr, c_size_t, c_int, c_int64_t
      type(c_ptr) :: net
      integer(c_size_t), value :: n_layers
      integer(c_size_t) :: sizes(*)
      type(c_ptr), value :: acts
      integer(c_int), value :: loss
      integer(c_int64_t), value :: seed
      integer(c_int) :: status
    end function
    subroutine c_free(net) bind(c, name='mlp_free')
      import :: c_ptr
      type(c_ptr), value :: net
    end subroutine
    function c_clone(copy, net) bind(c, name='mlp_clone') result(status)
      import :: c_ptr, c_int
      type(c_ptr) :: copy
      type(c_ptr), value :: net
      integer(c_int) :: status
    end function
    pure function c_n_layers(net) bind(c, name='mlp_n_layers') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t) :: n
    end function
    pure function c_layer_size(net, l) bind(c, name='mlp_layer_size') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      integer(c_size_t) :: n
    end function
    pure function c_layer_activation(net, l) bind(c, name='mlp_layer_activation') result(a)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      integer(c_int) :: a
    end function
    pure function c_loss_kind(net) bind(c, name='mlp_loss_kind') result(k)
      import :: c_ptr, c_int
      type(c_ptr), value :: net
      integer(c_int) :: k
    end function
    pure function c_n_params(net) bind(c, name='mlp_n_params') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t) :: n
    end function
    function c_weights(net, l) bind(c, name='mlp_weights') result(p)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      type(c_ptr) :: p
    end function
    function c_biases(net, l) bind(c, name='mlp_biases') result(p)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      type(c_ptr) :: p
    end function
    function c_weight_grads(net, l) bind(c, name='mlp_weight_grads') result(p)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      type(c_ptr) :: p
    end function
    function c_bias_grads(net, l) bind(c, name='mlp_bias_grads') result(p)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      type(c_ptr) :: p
    end function
    function c_params(net) bind(c, name='mlp_params') result(p)
      import :: c_ptr
      type(c_ptr), value :: net
      type(c_ptr) :: p
    end function
    function c_grads(net) bind(c, name='mlp_grads') result(p)
      import :: c_ptr
      type(c_ptr), value :: net
      type(c_ptr) :: p
    end function
    function c_predict(net, batch, X, Y) bind(c, name='mlp_predict') result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, Y
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function c_backprop(net, batch, X, T, cost) bind(c, name='mlp_backprop') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, T, cost
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function c_set_scaling(net, in_mean, in_std, out_mean, out_std) &
        bind(c, name='mlp_set_scaling') result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: net, in_mean, in_std, out_mean, out_std
      integer(c_int) :: status
    end function
    function c_fit_scaling(net, n, X, T) bind(c, name='mlp_fit_scaling') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, T
      integer(c_size_t), value :: n
      integer(c_int) :: status
    end function
    function c_get_scaling(net, in_mean, in_std, out_mean, out_std) &
        bind(c, name='mlp_get_scaling') result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: net, in_mean, in_std, out_mean, out_std
      integer(c_int) :: status
    end function
    function c_set_sgd(net, learning_rate, momentum) bind(c, name='mlp_set_sgd') &
        result(status)
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: net
      real(c_double), value :: learning_rate, momentum
      integer(c_int) :: status
    end function
    function c_step(net) bind(c, name='mlp_step') result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: net
      integer(c_int) :: status
    end function
    function c_train_batch(net, batch, X, T, cost) bind(c, name='mlp_train_batch') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, T, cost
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function c_set_adam(net, learning_rate, beta1, beta2, epsilon) &
        bind(c, name='mlp_set_adam') result(status)
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: net
      real(c_double), value :: learning_rate, beta1, beta2, epsilon
      integer(c_int) :: status
    end function
    function c_set_weight_decay(net, lambda) bind(c, name='mlp_set_weight_decay') &
        result(status)
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: net
      real(c_double), value :: lambda
      integer(c_int) :: status
    end function
    function c_init(net, kind, seed) bind(c, name='mlp_init') result(status)
      import :: c_ptr, c_int, c_int64_t
      type(c_ptr), value :: net
      integer(c_int), value :: kind
      integer(c_int64_t), value :: seed
      integer(c_int) :: status
    end function
    subroutine c_fit_defaults(options) bind(c, name='mlp_fit_defaults')
      import :: mlp_fit_options
      type(mlp_fit_options) :: options
    end subroutine
    function c_fit(net, n, X, T, options, result) bind(c, name='mlp_fit') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, T, options, result
      integer(c_size_t), value :: n
      integer(c_int) :: status
    end function
    function c_set_blas_threads(n) bind(c, name='mlp_set_blas_threads') &
        result(status)
      import :: c_size_t, c_int
      integer(c_size_t), value :: n
      integer(c_int) :: status
    end function
    function c_blas_threads() bind(c, name='mlp_blas_threads') result(n)
      import :: c_size_t
      integer(c_size_t) :: n
    end function
    function c_save(net, path) bind(c, name='mlp_save') result(status)
      import :: c_ptr, c_char, c_int
      type(c_ptr), value :: net
      character(kind=c_char) :: path(*)
      integer(c_int) :: status
    end function
    function c_load(net, path) bind(c, name='mlp_load') result(status)
      import :: c_ptr, c_char, c_int
      type(c_ptr) :: net
      character(kind=c_char) :: path(*)
      integer(c_int) :: status
    end function
    function c_load_buffer(net, data, size) bind(c, name='mlp_load_buffer') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr) :: net
      type(c_ptr), value :: data
      integer(c_size_t), value :: size
      integer(c_int) :: status
    end function
    pure function c_saved_size(net) bind(c, name='mlp_saved_size') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t) :: n
    end function
    function c_save_buffer(net, data, capacity) bind(c, name='mlp_save_buffer') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, data
      integer(c_size_t), value :: capacity
      integer(c_int) :: status
    end function
    function c_workspace_create(ws, net, max_batch) &
        bind(c, name='mlp_workspace_create') result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr) :: ws
      type(c_ptr), value :: net
      integer(c_size_t), value :: max_batch
      integer(c_int) :: status
    end function
    subroutine c_workspace_free(ws) bind(c, name='mlp_workspace_free')
      import :: c_ptr
      type(c_ptr), value :: ws
    end subroutine
    function c_predict_ws(net, ws, batch, X, Y) bind(c, name='mlp_predict_ws') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, ws, X, Y
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function c_jacobian(net, ws, batch, X, J) bind(c, name='mlp_jacobian') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, ws, X, J
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function c_vjp(net, ws, batch, X, V, G) bind(c, name='mlp_vjp') result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, ws, X, V, G
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function c_jvp(net, ws, batch, X, D, U) bind(c, name='mlp_jvp') result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, ws, X, D, U
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function cf_create(net, n_layers, sizes, acts, loss, seed) &
        bind(c, name='mlpf_create') result(status)
      import :: c_ptr, c_size_t, c_int, c_int64_t
      type(c_ptr) :: net
      integer(c_size_t), value :: n_layers
      integer(c_size_t) :: sizes(*)
      type(c_ptr), value :: acts
      integer(c_int), value :: loss
      integer(c_int64_t), value :: seed
      integer(c_int) :: status
    end function
    subroutine cf_free(net) bind(c, name='mlpf_free')
      import :: c_ptr
      type(c_ptr), value :: net
    end subroutine
    function cf_clone(copy, net) bind(c, name='mlpf_clone') result(status)
      import :: c_ptr, c_int
      type(c_ptr) :: copy
      type(c_ptr), value :: net
      integer(c_int) :: status
    end function
    pure function cf_n_layers(net) bind(c, name='mlpf_n_layers') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t) :: n
    end function
    pure function cf_layer_size(net, l) bind(c, name='mlpf_layer_size') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      integer(c_size_t) :: n
    end function
    pure function cf_layer_activation(net, l) bind(c, name='mlpf_layer_activation') result(a)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      integer(c_int) :: a
    end function
    pure function cf_loss_kind(net) bind(c, name='mlpf_loss_kind') result(k)
      import :: c_ptr, c_int
      type(c_ptr), value :: net
      integer(c_int) :: k
    end function
    pure function cf_n_params(net) bind(c, name='mlpf_n_params') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t) :: n
    end function
    function cf_weights(net, l) bind(c, name='mlpf_weights') result(p)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      type(c_ptr) :: p
    end function
    function cf_biases(net, l) bind(c, name='mlpf_biases') result(p)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      type(c_ptr) :: p
    end function
    function cf_weight_grads(net, l) bind(c, name='mlpf_weight_grads') result(p)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      type(c_ptr) :: p
    end function
    function cf_bias_grads(net, l) bind(c, name='mlpf_bias_grads') result(p)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      type(c_ptr) :: p
    end function
    function cf_params(net) bind(c, name='mlpf_params') result(p)
      import :: c_ptr
      type(c_ptr), value :: net
      type(c_ptr) :: p
    end function
    function cf_grads(net) bind(c, name='mlpf_grads') result(p)
      import :: c_ptr
      type(c_ptr), value :: net
      type(c_ptr) :: p
    end function
    function cf_predict(net, batch, X, Y) bind(c, name='mlpf_predict') result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, Y
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function cf_backprop(net, batch, X, T, cost) bind(c, name='mlpf_backprop') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, T, cost
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function cf_set_scaling(net, in_mean, in_std, out_mean, out_std) &
        bind(c, name='mlpf_set_scaling') result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: net, in_mean, in_std, out_mean, out_std
      integer(c_int) :: status
    end function
    function cf_fit_scaling(net, n, X, T) bind(c, name='mlpf_fit_scaling') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, T
      integer(c_size_t), value :: n
      integer(c_int) :: status
    end function
    function cf_get_scaling(net, in_mean, in_std, out_mean, out_std) &
        bind(c, name='mlpf_get_scaling') result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: net, in_mean, in_std, out_mean, out_std
      integer(c_int) :: status
    end function
    function cf_set_sgd(net, learning_rate, momentum) bind(c, name='mlpf_set_sgd') &
        result(status)
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: net
      real(c_double), value :: learning_rate, momentum
      integer(c_int) :: status
    end function
    function cf_step(net) bind(c, name='mlpf_step') result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: net
      integer(c_int) :: status
    end function
    function cf_train_batch(net, batch, X, T, cost) bind(c, name='mlpf_train_batch') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, T, cost
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function cf_set_adam(net, learning_rate, beta1, beta2, epsilon) &
        bind(c, name='mlpf_set_adam') result(status)
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: net
      real(c_double), value :: learning_rate, beta1, beta2, epsilon
      integer(c_int) :: status
    end function
    function cf_set_weight_decay(net, lambda) bind(c, name='mlpf_set_weight_decay') &
        result(status)
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: net
      real(c_double), value :: lambda
      integer(c_int) :: status
    end function
    function cf_init(net, kind, seed) bind(c, name='mlpf_init') result(status)
      import :: c_ptr, c_int, c_int64_t
      type(c_ptr), value :: net
      integer(c_int), value :: kind
      integer(c_int64_t), value :: seed
      integer(c_int) :: status
    end function
    function cf_fit(net, n, X, T, options, result) bind(c, name='mlpf_fit') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, T, options, result
      integer(c_size_t), value :: n
      integer(c_int) :: status
    end function
    function cf_save(net, path) bind(c, name='mlpf_save') result(status)
      import :: c_ptr, c_char, c_int
      type(c_ptr), value :: net
      character(kind=c_char) :: path(*)
      integer(c_int) :: status
    end function
    function cf_load(net, path) bind(c, name='mlpf_load') result(status)
      import :: c_ptr, c_char, c_int
      type(c_ptr) :: net
      character(kind=c_char) :: path(*)
      integer(c_int) :: status
    end function
    function cf_load_buffer(net, data, size) bind(c, name='mlpf_load_buffer') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr) :: net
      type(c_ptr), value :: data
      integer(c_size_t), value :: size
      integer(c_int) :: status
    end function
    pure function cf_saved_size(net) bind(c, name='mlpf_saved_size') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t) :: n
    end function
    function cf_save_buffer(net, data, capacity) bind(c, name='mlpf_save_buffer') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, data
      integer(c_size_t), value :: capacity
      integer(c_int) :: status
    end function
    function cf_workspace_create(ws, net, max_batch) &
        bind(c, name='mlpf_workspace_create') result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr) :: ws
      type(c_ptr), value :: net
      integer(c_size_t), value :: max_batch
      integer(c_int) :: status
    end function
    subroutine cf_workspace_free(ws) bind(c, name='mlpf_workspace_free')
      import :: c_ptr
      type(c_ptr), value :: ws
    end subroutine
    function cf_predict_ws(net, ws, batch, X, Y) bind(c, name='mlpf_predict_ws') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, ws, X, Y
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function cf_jacobian(net, ws, batch, X, J) bind(c, name='mlpf_jacobian') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, ws, X, J
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function cf_vjp(net, ws, batch, X, V, G) bind(c, name='mlpf_vjp') result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, ws, X, V, G
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function cf_jvp(net, ws, batch, X, D, U) bind(c, name='mlpf_jvp') result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, ws, X, D, U
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
  end interface

contains

  ! ------------------------------------------------------------------------
  ! Helpers

  ! A C string (static storage, or NULL) as a Fortran string.
  function from_c_string(s) result(str)
    type(c_ptr), intent(in) :: s
    character(:), allocatable :: str
    character(kind=c_char), pointer :: chars(:)
    integer :: i, n
    if (.not. c_associated(s)) then
      str = ''
      return
    end if
    n = int(c_strlen(s))
    call c_f_pointer(s, chars, [n])
    allocate(character(n) :: str)
    do i = 1, n
      str(i:i) = chars(i)
    end do
  end function from_c_string

  ! A Fortran string as a NUL-terminated C string.
  pure function to_c_string(str) result(s)
    character(*), intent(in) :: str
    character(kind=c_char, len=len(str) + 1) :: s
    s = str // c_null_char
  end function to_c_string

  ! The address of a matrix's first element for C, or NULL when it has none.
  ! Only called on arrays checked contiguous.
  function address2_d(a) result(p)
    real(c_double), intent(in), target :: a(:, :)
    type(c_ptr) :: p
    p = c_null_ptr
    if (size(a) > 0) p = c_loc(a(1, 1))
  end function address2_d

  function address1_d(a) result(p)
    real(c_double), intent(in), target :: a(:)
    type(c_ptr) :: p
    p = c_null_ptr
    if (size(a) > 0) p = c_loc(a(1))
  end function address1_d

  ! Whether a is a contiguous rows x batch matrix.
  pure logical function fits_d(a, rows, batch)
    real(c_double), intent(in) :: a(:, :)
    integer(c_size_t), intent(in) :: rows, batch
    fits_d = is_contiguous(a) .and. size(a, 1, c_size_t) == rows .and. &
        size(a, 2, c_size_t) == batch
  end function fits_d

  ! Whether an optional vector is absent, or contiguous with n entries.
  pure logical function fits_vector_d(a, n)
    real(c_double), intent(in), optional :: a(:)
    integer(c_size_t), intent(in) :: n
    fits_vector_d = .true.
    if (present(a)) fits_vector_d = is_contiguous(a) .and. size(a, 1, c_size_t) == n
  end function fits_vector_d

  function optional_address1_d(a) result(p)
    real(c_double), intent(in), optional, target :: a(:)
    type(c_ptr) :: p
    p = c_null_ptr
    if (present(a)) p = address1(a)
  end function optional_address1_d

  ! n_0 and n_L of a network (0 for none).
  pure integer(c_size_t) function n_in(ptr)
    type(c_ptr), intent(in) :: ptr
    n_in = c_layer_size(ptr, 0_c_size_t)
  end function n_in

  pure integer(c_size_t) function n_out(ptr)
    type(c_ptr), intent(in) :: ptr
    n_out = c_layer_size(ptr, c_n_layers(ptr))
  end function n_out

  ! ------------------------------------------------------------------------
  ! Ownership: one owner per network, finalisation frees. An intrinsic
  ! assignment would copy the C pointer and free it twice, so assignment
  ! copies the network instead.

  subroutine assign_net(lhs, rhs)
    class(mlp_net), intent(inout) :: lhs
    class(mlp_net), intent(in) :: rhs
    type(c_ptr) :: copy
    integer(c_int) :: status
    if (c_associated(lhs%ptr, rhs%ptr)) return   ! a = a
    copy = c_null_ptr
    if (c_associated(rhs%ptr)) status = c_clone(copy, rhs%ptr)
    call c_free(lhs%ptr)
    lhs%ptr = copy
  end subroutine assign_net

  subroutine final_net(net)
    type(mlp_net), intent(inout) :: net
    call c_free(net%ptr)
    net%ptr = c_null_ptr
  end subroutine final_net

  ! A workspace is scratch that nothing needs copied: after b = a, b holds
  ! none (create one with mlp_workspace_create).
  subroutine assign_workspace(lhs, rhs)
    class(mlp_workspace), intent(inout) :: lhs
    class(mlp_workspace), intent(in) :: rhs
    if (c_associated(lhs%ptr, rhs%ptr)) return
    call c_workspace_free(lhs%ptr)
    lhs%ptr = c_null_ptr
  end subroutine assign_workspace

  subroutine final_workspace(ws)
    type(mlp_workspace), intent(inout) :: ws
    call c_workspace_free(ws%ptr)
    ws%ptr = c_null_ptr
  end subroutine final_workspace

  ! ------------------------------------------------------------------------
  ! Library information

  function mlp_version() result(version)
    character(:), allocatable :: version
    version = from_c_string(c_version())
  end function mlp_version

  function mlp_strerror(status) result(message)
    integer(c_int), intent(in) :: status
    character(:), allocatable :: message
    message = from_c_string(c_strerror(status))
  end function mlp_strerror

  ! ------------------------------------------------------------------------
  ! Lifecycle

  ! sizes(1) inputs, sizes(l + 1) units of layer l; acts(l) is layer l's
  ! activation (absent: sigmoid everywhere).
  function create_d(net, sizes, acts, loss, seed) result(status)
    type(mlp_net), intent(inout) :: net
    integer, intent(in) :: sizes(:)
    integer(c_int), intent(in), optional :: acts(:)
    integer(c_int), intent(in) :: loss
    integer(c_int64_t), intent(in) :: seed
    integer(c_int) :: status
    integer(c_size_t) :: c_sizes(max(size(sizes), 1))
    integer(c_int), target :: c_acts(max(size(sizes) - 1, 1))
    type(c_ptr) :: acts_ptr
    call final_net(net)
    status = MLP_ERR_ARG
    if (size(sizes) < 2 .or. any(sizes < 1)) return
    c_sizes(1:size(sizes)) = int(sizes, c_size_t)
    acts_ptr = c_null_ptr
    if (present(acts)) then
      if (size(acts) /= size(sizes) - 1) return
      c_acts(1:size(acts)) = acts
      acts_ptr = c_loc(c_acts)
    end if
    status = c_create(net%ptr, int(size(sizes) - 1, c_size_t), c_sizes, &
        acts_ptr, loss, seed)
  end function create_d

  function mlp_create_d32(net, sizes, acts, loss, seed) result(status)
    type(mlp_net), intent(inout) :: net
    integer, intent(in) :: sizes(:)
    integer(c_int), intent(in), optional :: acts(:)
    integer(c_int), intent(in) :: loss
    integer(c_int32_t), intent(in) :: seed
    integer(c_int) :: status
    status = create_d(net, sizes, acts, loss, int(seed, c_int64_t))
  end function mlp_create_d32

  function mlp_create_d64(net, sizes, acts, loss, seed) result(status)
    type(mlp_net), intent(inout) :: net
    integer, intent(in) :: sizes(:)
    integer(c_int), intent(in), optional :: acts(:)
    integer(c_int), intent(in) :: loss
    integer(c_int64_t), intent(in) :: seed
    integer(c_int) :: status
    status = create_d(net, sizes, acts, loss, seed)
  end function mlp_create_d64

  subroutine mlp_free_d(net)
    type(mlp_net), intent(inout) :: net
    call final_net(net)
  end subroutine mlp_free_d

  ! copy receives a deep copy of net (and releases what it held before);
  ! on failure it holds no network.
  function mlp_clone_d(copy, net) result(status)
    type(mlp_net), intent(inout) :: copy
    type(mlp_net), intent(in) :: net
    integer(c_int) :: status
    type(c_ptr) :: p
    p = c_null_ptr
    status = c_clone(p, net%ptr)
    call final_net(copy)
    copy%ptr = p
  end function mlp_clone_d

  ! ------------------------------------------------------------------------
  ! Shape

  pure integer(c_size_t) function mlp_n_layers_d(net)
    type(mlp_net), intent(in) :: net
    mlp_n_layers_d = c_n_layers(net%ptr)
  end function mlp_n_layers_d

  pure integer(c_size_t) function mlp_layer_size_d(net, l)
    type(mlp_net), intent(in) :: net
    integer, intent(in) :: l
    mlp_layer_size_d = 0
    if (l >= 0) mlp_layer_size_d = c_layer_size(net%ptr, int(l, c_size_t))
  end function mlp_layer_size_d

  pure integer(c_int) function mlp_layer_activation_d(net, l)
    type(mlp_net), intent(in) :: net
    integer, intent(in) :: l
    mlp_layer_activation_d = -1
    if (l >= 0) mlp_layer_activation_d = c_layer_activation(net%ptr, int(l, c_size_t))
  end function mlp_layer_activation_d

  pure integer(c_int) function mlp_loss_kind_d(net)
    type(mlp_net), intent(in) :: net
    mlp_loss_kind_d = c_loss_kind(net%ptr)
  end function mlp_loss_kind_d

  pure integer(c_size_t) function mlp_n_params_d(net)
    type(mlp_net), intent(in) :: net
    mlp_n_params_d = c_n_params(net%ptr)
  end function mlp_n_params_d

  ! ------------------------------------------------------------------------
  ! Parameters and gradients: pointers into the network (null pointers for
  ! a bad layer or no network), valid until the network is freed.

  function layer_matrix(net, l, p) result(W)
    type(mlp_net), intent(in) :: net
    integer, intent(in) :: l
    type(c_ptr), intent(in) :: p
    real(c_double), pointer, contiguous :: W(:, :)
    W => null()
    if (.not. c_associated(p)) return
    call c_f_pointer(p, W, [c_layer_size(net%ptr, int(l - 1, c_size_t)), &
        c_layer_size(net%ptr, int(l, c_size_t))])
  end function layer_matrix

  function layer_vector(net, l, p) result(b)
    type(mlp_net), intent(in) :: net
    integer, intent(in) :: l
    type(c_ptr), intent(in) :: p
    real(c_double), pointer, contiguous :: b(:)
    b => null()
    if (.not. c_associated(p)) return
    call c_f_pointer(p, b, [c_layer_size(net%ptr, int(l, c_size_t))])
  end function layer_vector

  ! W(n_(l-1), n_l): W(j, i) is the weight from unit j of layer l-1 to unit
  ! i of layer l (C's W[i][j]).
  function mlp_weights_d(net, l) result(W)
    type(mlp_net), intent(in) :: net
    integer, intent(in) :: l
    real(c_double), pointer, contiguous :: W(:, :)
    W => null()
    if (l >= 1) W => layer_matrix(net, l, c_weights(net%ptr, int(l, c_size_t)))
  end function mlp_weights_d

  function mlp_biases_d(net, l) result(b)
    type(mlp_net), intent(in) :: net
    integer, intent(in) :: l
    real(c_double), pointer, contiguous :: b(:)
    b => null()
    if (l >= 1) b => layer_vector(net, l, c_biases(net%ptr, int(l, c_size_t)))
  end function mlp_biases_d

  function mlp_weight_grads_d(net, l) result(W)
    type(mlp_net), intent(in) :: net
    integer, intent(in) :: l
    real(c_double), pointer, contiguous :: W(:, :)
    W => null()
    if (l >= 1) W => layer_matrix(net, l, c_weight_grads(net%ptr, int(l, c_size_t)))
  end function mlp_weight_grads_d

  function mlp_bias_grads_d(net, l) result(b)
    type(mlp_net), intent(in) :: net
    integer, intent(in) :: l
    real(c_double), pointer, contiguous :: b(:)
    b => null()
    if (l >= 1) b => layer_vector(net, l, c_bias_grads(net%ptr, int(l, c_size_t)))
  end function mlp_bias_grads_d

  function mlp_params_d(net) result(p)
    type(mlp_net), intent(in) :: net
    real(c_double), pointer, contiguous :: p(:)
    type(c_ptr) :: c
    p => null()
    c = c_params(net%ptr)
    if (c_associated(c)) call c_f_pointer(c, p, [c_n_params(net%ptr)])
  end function mlp_params_d

  function mlp_grads_d(net) result(g)
    type(mlp_net), intent(in) :: net
    real(c_double), pointer, contiguous :: g(:)
    type(c_ptr) :: c
    g => null()
    c = c_grads(net%ptr)
    if (c_associated(c)) call c_f_pointer(c, g, [c_n_params(net%ptr)])
  end function mlp_grads_d

  ! ------------------------------------------------------------------------
  ! Forward and backward: X(n_0, batch), T and Y (n_L, batch).

  function mlp_predict_d(net, X, Y) result(status)
    type(mlp_net), intent(in) :: net
    real(c_double), intent(in), target :: X(:, :)
    real(c_double), intent(inout), target :: Y(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    batch = size(X, 2, c_size_t)
    n0 = n_in(net%ptr)
    nl = n_out(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(Y, nl, batch))) return
    status = c_predict(net%ptr, batch, address2(X), address2(Y))
  end function mlp_predict_d

  function mlp_backprop_d(net, X, T, cost) result(status)
    type(mlp_net), intent(in) :: net
    real(c_double), intent(in), target :: X(:, :), T(:, :)
    real(c_double), intent(inout), optional, target :: cost
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    type(c_ptr) :: cost_ptr
    batch = size(X, 2, c_size_t)
    n0 = n_in(net%ptr)
    nl = n_out(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(T, nl, batch))) return
    cost_ptr = c_null_ptr
    if (present(cost)) cost_ptr = c_loc(cost)
    status = c_backprop(net%ptr, batch, address2(X), address2(T), cost_ptr)
  end function mlp_backprop_d

  ! ------------------------------------------------------------------------
  ! Input and output scaling: in_* have n_0 entries, out_* n_L; an absent
  ! array is C's NULL.

  function mlp_set_scaling_d(net, in_mean, in_std, out_mean, out_std) result(status)
    type(mlp_net), intent(in) :: net
    real(c_double), intent(in), optional, target :: in_mean(:), in_std(:), &
        out_mean(:), out_std(:)
    integer(c_int) :: status
    integer(c_size_t) :: n0, nl
    n0 = n_in(net%ptr)
    nl = n_out(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits_vector_d(in_mean, n0) .and. fits_vector_d(in_std, n0) .and. &
        fits_vector_d(out_mean, nl) .and. fits_vector_d(out_std, nl))) return
    status = c_set_scaling(net%ptr, optional_address1_d(in_mean), &
        optional_address1_d(in_std), optional_address1_d(out_mean), &
        optional_address1_d(out_std))
  end function mlp_set_scaling_d

  function mlp_fit_scaling_d(net, X, T) result(status)
    type(mlp_net), intent(in) :: net
    real(c_double), intent(in), target :: X(:, :)
    real(c_double), intent(in), optional, target :: T(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: n, n0, nl
    type(c_ptr) :: t_ptr
    n = size(X, 2, c_size_t)
    n0 = n_in(net%ptr)
    nl = n_out(net%ptr)
    status = MLP_ERR_ARG
    if (.not. fits(X, n0, n)) return
    t_ptr = c_null_ptr
    if (present(T)) then
      if (.not. fits(T, nl, n)) return
      t_ptr = address2(T)
    end if
    status = c_fit_scaling(net%ptr, n, address2(X), t_ptr)
  end function mlp_fit_scaling_d

  function mlp_get_scaling_d(net, in_mean, in_std, out_mean, out_std) result(status)
    type(mlp_net), intent(in) :: net
    real(c_double), intent(inout), optional, target :: in_mean(:), in_std(:), &
        out_mean(:), out_std(:)
    integer(c_int) :: status
    integer(c_size_t) :: n0, nl
    n0 = n_in(net%ptr)
    nl = n_out(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits_vector_d(in_mean, n0) .and. fits_vector_d(in_std, n0) .and. &
        fits_vector_d(out_mean, nl) .and. fits_vector_d(out_std, nl))) return
    status = c_get_scaling(net%ptr, optional_address1_d(in_mean), &
        optional_address1_d(in_std), optional_address1_d(out_mean), &
        optional_address1_d(out_std))
  end function mlp_get_scaling_d

  ! ------------------------------------------------------------------------
  ! Optimizers

  function mlp_set_sgd_d(net, learning_rate, momentum) result(status)
    type(mlp_net), intent(in) :: net
    real(c_double), intent(in) :: learning_rate, momentum
    integer(c_int) :: status
    status = c_set_sgd(net%ptr, learning_rate, momentum)
  end function mlp_set_sgd_d

  function mlp_step_d(net) result(status)
    type(mlp_net), intent(in) :: net
    integer(c_int) :: status
    status = c_step(net%ptr)
  end function mlp_step_d

  function mlp_train_batch_d(net, X, T, cost) result(status)
    type(mlp_net), intent(in) :: net
    real(c_double), intent(in), target :: X(:, :), T(:, :)
    real(c_double), intent(inout), optional, target :: cost
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    type(c_ptr) :: cost_ptr
    batch = size(X, 2, c_size_t)
    n0 = n_in(net%ptr)
    nl = n_out(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(T, nl, batch))) return
    cost_ptr = c_null_ptr
    if (present(cost)) cost_ptr = c_loc(cost)
    status = c_train_batch(net%ptr, batch, address2(X), address2(T), cost_ptr)
  end function mlp_train_batch_d

  function mlp_set_adam_d(net, learning_rate, beta1, beta2, epsilon) result(status)
    type(mlp_net), intent(in) :: net
    real(c_double), intent(in) :: learning_rate, beta1, beta2, epsilon
    integer(c_int) :: status
    status = c_set_adam(net%ptr, learning_rate, beta1, beta2, epsilon)
  end function mlp_set_adam_d

  function mlp_set_weight_decay_d(net, lambda) result(status)
    type(mlp_net), intent(in) :: net
    real(c_double), intent(in) :: lambda
    integer(c_int) :: status
    status = c_set_weight_decay(net%ptr, lambda)
  end function mlp_set_weight_decay_d

  function mlp_init_d32(net, kind, seed) result(status)
    type(mlp_net), intent(in) :: net
    integer(c_int), intent(in) :: kind
    integer(c_int32_t), intent(in) :: seed
    integer(c_int) :: status
    status = c_init(net%ptr, kind, int(seed, c_int64_t))
  end function mlp_init_d32

  function mlp_init_d64(net, kind, seed) result(status)
    type(mlp_net), intent(in) :: net
    integer(c_int), intent(in) :: kind
    integer(c_int64_t), intent(in) :: seed
    integer(c_int) :: status
    status = c_init(net%ptr, kind, seed)
  end function mlp_init_d64

  ! ------------------------------------------------------------------------
  ! The fit loop

  subroutine mlp_fit_defaults(options)
    type(mlp_fit_options), intent(out) :: options
    call c_fit_defaults(options)
  end subroutine mlp_fit_defaults

  ! X(n_0, n), T(n_L, n); options absent: the defaults; result optional.
  function mlp_fit_d(net, X, T, options, result) result(status)
    type(mlp_net), intent(in) :: net
    real(c_double), intent(in), target :: X(:, :), T(:, :)
    type(mlp_fit_options), intent(in), optional, target :: options
    type(mlp_fit_result), intent(inout), optional, target :: result
    integer(c_int) :: status
    integer(c_size_t) :: n, n0, nl
    type(c_ptr) :: options_ptr, result_ptr
    n = size(X, 2, c_size_t)
    n0 = n_in(net%ptr)
    nl = n_out(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, n) .and. fits(T, nl, n))) return
    options_ptr = c_null_ptr
    result_ptr = c_null_ptr
    if (present(options)) options_ptr = c_loc(options)
    if (present(result)) result_ptr = c_loc(result)
    status = c_fit(net%ptr, n, address2(X), address2(T), options_ptr, result_ptr)
  end function mlp_fit_d

  ! ------------------------------------------------------------------------
  ! BLAS threads (process-wide)

  function mlp_set_blas_threads(n) result(status)
    integer, intent(in) :: n
    integer(c_int) :: status
    status = MLP_ERR_ARG
    if (n >= 0) status = c_set_blas_threads(int(n, c_size_t))
  end function mlp_set_blas_threads

  integer(c_size_t) function mlp_blas_threads()
    mlp_blas_threads = c_blas_threads()
  end function mlp_blas_threads

  ! ------------------------------------------------------------------------
  ! Model files

  function mlp_save_d(net, path) result(status)
    type(mlp_net), intent(in) :: net
    character(*), intent(in) :: path
    integer(c_int) :: status
    status = c_save(net%ptr, to_c_string(path))
  end function mlp_save_d

  function mlp_load_d(net, path) result(status)
    type(mlp_net), intent(inout) :: net
    character(*), intent(in) :: path
    integer(c_int) :: status
    call final_net(net)
    status = c_load(net%ptr, to_c_string(path))
  end function mlp_load_d

  ! data: the bytes of a model file.
  function mlp_load_buffer_d(net, data) result(status)
    type(mlp_net), intent(inout) :: net
    integer(c_int8_t), intent(in), target :: data(:)
    integer(c_int) :: status
    type(c_ptr) :: p
    call final_net(net)
    status = MLP_ERR_ARG
    if (.not. is_contiguous(data)) return
    p = c_null_ptr
    if (size(data) > 0) p = c_loc(data(1))
    status = c_load_buffer(net%ptr, p, size(data, 1, c_size_t))
  end function mlp_load_buffer_d

  ! The exact size in bytes of net's model file (0 for no network).
  pure integer(c_size_t) function mlp_saved_size_d(net)
    type(mlp_net), intent(in) :: net
    mlp_saved_size_d = c_saved_size(net%ptr)
  end function mlp_saved_size_d

  ! Writes net's model file into data(1 : mlp_saved_size(net)); data may be
  ! larger. MLP_ERR_ARG (data untouched) if it is smaller.
  function mlp_save_buffer_d(net, data) result(status)
    type(mlp_net), intent(in) :: net
    integer(c_int8_t), intent(inout), target :: data(:)
    integer(c_int) :: status
    type(c_ptr) :: p
    status = MLP_ERR_ARG
    if (.not. is_contiguous(data)) return
    p = c_null_ptr
    if (size(data) > 0) p = c_loc(data(1))
    status = c_save_buffer(net%ptr, p, size(data, 1, c_size_t))
  end function mlp_save_buffer_d

  ! ------------------------------------------------------------------------
  ! Workspaces and read-only prediction

  function mlp_workspace_create_d(ws, net, max_batch) result(status)
    type(mlp_workspace), intent(inout) :: ws
    type(mlp_net), intent(in) :: net
    integer, intent(in) :: max_batch
    integer(c_int) :: status
    call final_workspace(ws)
    status = MLP_ERR_ARG
    if (max_batch < 1) return
    status = c_workspace_create(ws%ptr, net%ptr, int(max_batch, c_size_t))
  end function mlp_workspace_create_d

  subroutine mlp_workspace_free_d(ws)
    type(mlp_workspace), intent(inout) :: ws
    call final_workspace(ws)
  end subroutine mlp_workspace_free_d

  function mlp_predict_ws_d(net, ws, X, Y) result(status)
    type(mlp_net), intent(in) :: net
    type(mlp_workspace), intent(in) :: ws
    real(c_double), intent(in), target :: X(:, :)
    real(c_double), intent(inout), target :: Y(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    batch = size(X, 2, c_size_t)
    n0 = n_in(net%ptr)
    nl = n_out(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(Y, nl, batch))) return
    status = c_predict_ws(net%ptr, ws%ptr, batch, address2(X), address2(Y))
  end function mlp_predict_ws_d

  ! ------------------------------------------------------------------------
  ! Derivatives of the predictions with respect to the inputs, sample by
  ! sample: J(j, i, b) = dY(i, b) / dX(j, b); mlp_vjp gives
  ! G(:, b) = sum over i of V(i, b) * J(:, i, b), mlp_jvp
  ! U(i, b) = sum over j of J(j, i, b) * D(j, b).

  ! J(n_0, n_L, batch): C's batch x n_L x n_0.
  function mlp_jacobian_d(net, ws, X, J) result(status)
    type(mlp_net), intent(in) :: net
    type(mlp_workspace), intent(in) :: ws
    real(c_double), intent(in), target :: X(:, :)
    real(c_double), intent(inout), target :: J(:, :, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    type(c_ptr) :: j_ptr
    batch = size(X, 2, c_size_t)
    n0 = n_in(net%ptr)
    nl = n_out(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. is_contiguous(J))) return
    if (any(shape(J, c_size_t) /= [n0, nl, batch])) return
    j_ptr = c_null_ptr
    if (size(J) > 0) j_ptr = c_loc(J(1, 1, 1))
    status = c_jacobian(net%ptr, ws%ptr, batch, address2(X), j_ptr)
  end function mlp_jacobian_d

  ! V(n_L, batch) in, G(n_0, batch) out.
  function mlp_vjp_d(net, ws, X, V, G) result(status)
    type(mlp_net), intent(in) :: net
    type(mlp_workspace), intent(in) :: ws
    real(c_double), intent(in), target :: X(:, :), V(:, :)
    real(c_double), intent(inout), target :: G(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    batch = size(X, 2, c_size_t)
    n0 = n_in(net%ptr)
    nl = n_out(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(V, nl, batch) .and. &
        fits(G, n0, batch))) return
    status = c_vjp(net%ptr, ws%ptr, batch, address2(X), address2(V), address2(G))
  end function mlp_vjp_d

  ! D(n_0, batch) in, U(n_L, batch) out.
  function mlp_jvp_d(net, ws, X, D, U) result(status)
    type(mlp_net), intent(in) :: net
    type(mlp_workspace), intent(in) :: ws
    real(c_double), intent(in), target :: X(:, :), D(:, :)
    real(c_double), intent(inout), target :: U(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    batch = size(X, 2, c_size_t)
    n0 = n_in(net%ptr)
    nl = n_out(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(D, n0, batch) .and. &
        fits(U, nl, batch))) return
    status = c_jvp(net%ptr, ws%ptr, batch, address2(X), address2(D), address2(U))
  end function mlp_jvp_d

  ! ------------------------------------------------------------------------
  ! The single-precision family: the procedures above for mlpf_net,
  ! mlpf_workspace and real(c_float) data (hyper-parameters stay
  ! real(c_double), as in C).

  ! The address of a matrix's first element for C, or NULL when it has none.
  ! Only called on arrays checked contiguous.
  function address2_f(a) result(p)
    real(c_float), intent(in), target :: a(:, :)
    type(c_ptr) :: p
    p = c_null_ptr
    if (size(a) > 0) p = c_loc(a(1, 1))
  end function address2_f

  function address1_f(a) result(p)
    real(c_float), intent(in), target :: a(:)
    type(c_ptr) :: p
    p = c_null_ptr
    if (size(a) > 0) p = c_loc(a(1))
  end function address1_f

  ! Whether a is a contiguous rows x batch matrix.
  pure logical function fits_f(a, rows, batch)
    real(c_float), intent(in) :: a(:, :)
    integer(c_size_t), intent(in) :: rows, batch
    fits_f = is_contiguous(a) .and. size(a, 1, c_size_t) == rows .and. &
        size(a, 2, c_size_t) == batch
  end function fits_f

  ! Whether an optional vector is absent, or contiguous with n entries.
  pure logical function fits_vector_f(a, n)
    real(c_float), intent(in), optional :: a(:)
    integer(c_size_t), intent(in) :: n
    fits_vector_f = .true.
    if (present(a)) fits_vector_f = is_contiguous(a) .and. size(a, 1, c_size_t) == n
  end function fits_vector_f

  function optional_address1_f(a) result(p)
    real(c_float), intent(in), optional, target :: a(:)
    type(c_ptr) :: p
    p = c_null_ptr
    if (present(a)) p = address1(a)
  end function optional_address1_f

  ! n_0 and n_L of a network (0 for none).
  pure integer(c_size_t) function n_in_f(ptr)
    type(c_ptr), intent(in) :: ptr
    n_in_f = cf_layer_size(ptr, 0_c_size_t)
  end function n_in_f

  pure integer(c_size_t) function n_out_f(ptr)
    type(c_ptr), intent(in) :: ptr
    n_out_f = cf_layer_size(ptr, cf_n_layers(ptr))
  end function n_out_f

  subroutine assign_net_f(lhs, rhs)
    class(mlpf_net), intent(inout) :: lhs
    class(mlpf_net), intent(in) :: rhs
    type(c_ptr) :: copy
    integer(c_int) :: status
    if (c_associated(lhs%ptr, rhs%ptr)) return   ! a = a
    copy = c_null_ptr
    if (c_associated(rhs%ptr)) status = cf_clone(copy, rhs%ptr)
    call cf_free(lhs%ptr)
    lhs%ptr = copy
  end subroutine assign_net_f

  subroutine final_net_f(net)
    type(mlpf_net), intent(inout) :: net
    call cf_free(net%ptr)
    net%ptr = c_null_ptr
  end subroutine final_net_f

  ! A workspace is scratch that nothing needs copied: after b = a, b holds
  ! none (create one with mlp_workspace_create).
  subroutine assign_workspace_f(lhs, rhs)
    class(mlpf_workspace), intent(inout) :: lhs
    class(mlpf_workspace), intent(in) :: rhs
    if (c_associated(lhs%ptr, rhs%ptr)) return
    call cf_workspace_free(lhs%ptr)
    lhs%ptr = c_null_ptr
  end subroutine assign_workspace_f

  subroutine final_workspace_f(ws)
    type(mlpf_workspace), intent(inout) :: ws
    call cf_workspace_free(ws%ptr)
    ws%ptr = c_null_ptr
  end subroutine final_workspace_f

  ! sizes(1) inputs, sizes(l + 1) units of layer l; acts(l) is layer l's
  ! activation (absent: sigmoid everywhere).
  function create_f(net, sizes, acts, loss, seed) result(status)
    type(mlpf_net), intent(inout) :: net
    integer, intent(in) :: sizes(:)
    integer(c_int), intent(in), optional :: acts(:)
    integer(c_int), intent(in) :: loss
    integer(c_int64_t), intent(in) :: seed
    integer(c_int) :: status
    integer(c_size_t) :: c_sizes(max(size(sizes), 1))
    integer(c_int), target :: c_acts(max(size(sizes) - 1, 1))
    type(c_ptr) :: acts_ptr
    call final_net_f(net)
    status = MLP_ERR_ARG
    if (size(sizes) < 2 .or. any(sizes < 1)) return
    c_sizes(1:size(sizes)) = int(sizes, c_size_t)
    acts_ptr = c_null_ptr
    if (present(acts)) then
      if (size(acts) /= size(sizes) - 1) return
      c_acts(1:size(acts)) = acts
      acts_ptr = c_loc(c_acts)
    end if
    status = cf_create(net%ptr, int(size(sizes) - 1, c_size_t), c_sizes, &
        acts_ptr, loss, seed)
  end function create_f

  function mlp_create_f32(net, sizes, acts, loss, seed) result(status)
    type(mlpf_net), intent(inout) :: net
    integer, intent(in) :: sizes(:)
    integer(c_int), intent(in), optional :: acts(:)
    integer(c_int), intent(in) :: loss
    integer(c_int32_t), intent(in) :: seed
    integer(c_int) :: status
    status = create_f(net, sizes, acts, loss, int(seed, c_int64_t))
  end function mlp_create_f32

  function mlp_create_f64(net, sizes, acts, loss, seed) result(status)
    type(mlpf_net), intent(inout) :: net
    integer, intent(in) :: sizes(:)
    integer(c_int), intent(in), optional :: acts(:)
    integer(c_int), intent(in) :: loss
    integer(c_int64_t), intent(in) :: seed
    integer(c_int) :: status
    status = create_f(net, sizes, acts, loss, seed)
  end function mlp_create_f64

  subroutine mlp_free_f(net)
    type(mlpf_net), intent(inout) :: net
    call final_net_f(net)
  end subroutine mlp_free_f

  ! copy receives a deep copy of net (and releases what it held before);
  ! on failure it holds no network.
  function mlp_clone_f(copy, net) result(status)
    type(mlpf_net), intent(inout) :: copy
    type(mlpf_net), intent(in) :: net
    integer(c_int) :: status
    type(c_ptr) :: p
    p = c_null_ptr
    status = cf_clone(p, net%ptr)
    call final_net_f(copy)
    copy%ptr = p
  end function mlp_clone_f

  pure integer(c_size_t) function mlp_n_layers_f(net)
    type(mlpf_net), intent(in) :: net
    mlp_n_layers_f = cf_n_layers(net%ptr)
  end function mlp_n_layers_f

  pure integer(c_size_t) function mlp_layer_size_f(net, l)
    type(mlpf_net), intent(in) :: net
    integer, intent(in) :: l
    mlp_layer_size_f = 0
    if (l >= 0) mlp_layer_size_f = cf_layer_size(net%ptr, int(l, c_size_t))
  end function mlp_layer_size_f

  pure integer(c_int) function mlp_layer_activation_f(net, l)
    type(mlpf_net), intent(in) :: net
    integer, intent(in) :: l
    mlp_layer_activation_f = -1
    if (l >= 0) mlp_layer_activation_f = cf_layer_activation(net%ptr, int(l, c_size_t))
  end function mlp_layer_activation_f

  pure integer(c_int) function mlp_loss_kind_f(net)
    type(mlpf_net), intent(in) :: net
    mlp_loss_kind_f = cf_loss_kind(net%ptr)
  end function mlp_loss_kind_f

  pure integer(c_size_t) function mlp_n_params_f(net)
    type(mlpf_net), intent(in) :: net
    mlp_n_params_f = cf_n_params(net%ptr)
  end function mlp_n_params_f

  function layer_matrix_f(net, l, p) result(W)
    type(mlpf_net), intent(in) :: net
    integer, intent(in) :: l
    type(c_ptr), intent(in) :: p
    real(c_float), pointer, contiguous :: W(:, :)
    W => null()
    if (.not. c_associated(p)) return
    call c_f_pointer(p, W, [cf_layer_size(net%ptr, int(l - 1, c_size_t)), &
        cf_layer_size(net%ptr, int(l, c_size_t))])
  end function layer_matrix_f

  function layer_vector_f(net, l, p) result(b)
    type(mlpf_net), intent(in) :: net
    integer, intent(in) :: l
    type(c_ptr), intent(in) :: p
    real(c_float), pointer, contiguous :: b(:)
    b => null()
    if (.not. c_associated(p)) return
    call c_f_pointer(p, b, [cf_layer_size(net%ptr, int(l, c_size_t))])
  end function layer_vector_f

  ! W(n_(l-1), n_l): W(j, i) is the weight from unit j of layer l-1 to unit
  ! i of layer l (C's W[i][j]).
  function mlp_weights_f(net, l) result(W)
    type(mlpf_net), intent(in) :: net
    integer, intent(in) :: l
    real(c_float), pointer, contiguous :: W(:, :)
    W => null()
    if (l >= 1) W => layer_matrix_f(net, l, cf_weights(net%ptr, int(l, c_size_t)))
  end function mlp_weights_f

  function mlp_biases_f(net, l) result(b)
    type(mlpf_net), intent(in) :: net
    integer, intent(in) :: l
    real(c_float), pointer, contiguous :: b(:)
    b => null()
    if (l >= 1) b => layer_vector_f(net, l, cf_biases(net%ptr, int(l, c_size_t)))
  end function mlp_biases_f

  function mlp_weight_grads_f(net, l) result(W)
    type(mlpf_net), intent(in) :: net
    integer, intent(in) :: l
    real(c_float), pointer, contiguous :: W(:, :)
    W => null()
    if (l >= 1) W => layer_matrix_f(net, l, cf_weight_grads(net%ptr, int(l, c_size_t)))
  end function mlp_weight_grads_f

  function mlp_bias_grads_f(net, l) result(b)
    type(mlpf_net), intent(in) :: net
    integer, intent(in) :: l
    real(c_float), pointer, contiguous :: b(:)
    b => null()
    if (l >= 1) b => layer_vector_f(net, l, cf_bias_grads(net%ptr, int(l, c_size_t)))
  end function mlp_bias_grads_f

  function mlp_params_f(net) result(p)
    type(mlpf_net), intent(in) :: net
    real(c_float), pointer, contiguous :: p(:)
    type(c_ptr) :: c
    p => null()
    c = cf_params(net%ptr)
    if (c_associated(c)) call c_f_pointer(c, p, [cf_n_params(net%ptr)])
  end function mlp_params_f

  function mlp_grads_f(net) result(g)
    type(mlpf_net), intent(in) :: net
    real(c_float), pointer, contiguous :: g(:)
    type(c_ptr) :: c
    g => null()
    c = cf_grads(net%ptr)
    if (c_associated(c)) call c_f_pointer(c, g, [cf_n_params(net%ptr)])
  end function mlp_grads_f

  function mlp_predict_f(net, X, Y) result(status)
    type(mlpf_net), intent(in) :: net
    real(c_float), intent(in), target :: X(:, :)
    real(c_float), intent(inout), target :: Y(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    batch = size(X, 2, c_size_t)
    n0 = n_in_f(net%ptr)
    nl = n_out_f(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(Y, nl, batch))) return
    status = cf_predict(net%ptr, batch, address2(X), address2(Y))
  end function mlp_predict_f

  function mlp_backprop_f(net, X, T, cost) result(status)
    type(mlpf_net), intent(in) :: net
    real(c_float), intent(in), target :: X(:, :), T(:, :)
    real(c_float), intent(inout), optional, target :: cost
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    type(c_ptr) :: cost_ptr
    batch = size(X, 2, c_size_t)
    n0 = n_in_f(net%ptr)
    nl = n_out_f(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(T, nl, batch))) return
    cost_ptr = c_null_ptr
    if (present(cost)) cost_ptr = c_loc(cost)
    status = cf_backprop(net%ptr, batch, address2(X), address2(T), cost_ptr)
  end function mlp_backprop_f

  function mlp_set_scaling_f(net, in_mean, in_std, out_mean, out_std) result(status)
    type(mlpf_net), intent(in) :: net
    real(c_float), intent(in), optional, target :: in_mean(:), in_std(:), &
        out_mean(:), out_std(:)
    integer(c_int) :: status
    integer(c_size_t) :: n0, nl
    n0 = n_in_f(net%ptr)
    nl = n_out_f(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits_vector_f(in_mean, n0) .and. fits_vector_f(in_std, n0) .and. &
        fits_vector_f(out_mean, nl) .and. fits_vector_f(out_std, nl))) return
    status = cf_set_scaling(net%ptr, optional_address1_f(in_mean), &
        optional_address1_f(in_std), optional_address1_f(out_mean), &
        optional_address1_f(out_std))
  end function mlp_set_scaling_f

  function mlp_fit_scaling_f(net, X, T) result(status)
    type(mlpf_net), intent(in) :: net
    real(c_float), intent(in), target :: X(:, :)
    real(c_float), intent(in), optional, target :: T(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: n, n0, nl
    type(c_ptr) :: t_ptr
    n = size(X, 2, c_size_t)
    n0 = n_in_f(net%ptr)
    nl = n_out_f(net%ptr)
    status = MLP_ERR_ARG
    if (.not. fits(X, n0, n)) return
    t_ptr = c_null_ptr
    if (present(T)) then
      if (.not. fits(T, nl, n)) return
      t_ptr = address2(T)
    end if
    status = cf_fit_scaling(net%ptr, n, address2(X), t_ptr)
  end function mlp_fit_scaling_f

  function mlp_get_scaling_f(net, in_mean, in_std, out_mean, out_std) result(status)
    type(mlpf_net), intent(in) :: net
    real(c_float), intent(inout), optional, target :: in_mean(:), in_std(:), &
        out_mean(:), out_std(:)
    integer(c_int) :: status
    integer(c_size_t) :: n0, nl
    n0 = n_in_f(net%ptr)
    nl = n_out_f(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits_vector_f(in_mean, n0) .and. fits_vector_f(in_std, n0) .and. &
        fits_vector_f(out_mean, nl) .and. fits_vector_f(out_std, nl))) return
    status = cf_get_scaling(net%ptr, optional_address1_f(in_mean), &
        optional_address1_f(in_std), optional_address1_f(out_mean), &
        optional_address1_f(out_std))
  end function mlp_get_scaling_f

  function mlp_set_sgd_f(net, learning_rate, momentum) result(status)
    type(mlpf_net), intent(in) :: net
    real(c_double), intent(in) :: learning_rate, momentum
    integer(c_int) :: status
    status = cf_set_sgd(net%ptr, learning_rate, momentum)
  end function mlp_set_sgd_f

  function mlp_step_f(net) result(status)
    type(mlpf_net), intent(in) :: net
    integer(c_int) :: status
    status = cf_step(net%ptr)
  end function mlp_step_f

  function mlp_train_batch_f(net, X, T, cost) result(status)
    type(mlpf_net), intent(in) :: net
    real(c_float), intent(in), target :: X(:, :), T(:, :)
    real(c_float), intent(inout), optional, target :: cost
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    type(c_ptr) :: cost_ptr
    batch = size(X, 2, c_size_t)
    n0 = n_in_f(net%ptr)
    nl = n_out_f(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(T, nl, batch))) return
    cost_ptr = c_null_ptr
    if (present(cost)) cost_ptr = c_loc(cost)
    status = cf_train_batch(net%ptr, batch, address2(X), address2(T), cost_ptr)
  end function mlp_train_batch_f

  function mlp_set_adam_f(net, learning_rate, beta1, beta2, epsilon) result(status)
    type(mlpf_net), intent(in) :: net
    real(c_double), intent(in) :: learning_rate, beta1, beta2, epsilon
    integer(c_int) :: status
    status = cf_set_adam(net%ptr, learning_rate, beta1, beta2, epsilon)
  end function mlp_set_adam_f

  function mlp_set_weight_decay_f(net, lambda) result(status)
    type(mlpf_net), intent(in) :: net
    real(c_double), intent(in) :: lambda
    integer(c_int) :: status
    status = cf_set_weight_decay(net%ptr, lambda)
  end function mlp_set_weight_decay_f

  function mlp_init_f32(net, kind, seed) result(status)
    type(mlpf_net), intent(in) :: net
    integer(c_int), intent(in) :: kind
    integer(c_int32_t), intent(in) :: seed
    integer(c_int) :: status
    status = cf_init(net%ptr, kind, int(seed, c_int64_t))
  end function mlp_init_f32

  function mlp_init_f64(net, kind, seed) result(status)
    type(mlpf_net), intent(in) :: net
    integer(c_int), intent(in) :: kind
    integer(c_int64_t), intent(in) :: seed
    integer(c_int) :: status
    status = cf_init(net%ptr, kind, seed)
  end function mlp_init_f64

  ! X(n_0, n), T(n_L, n); options absent: the defaults; result optional.
  function mlp_fit_f(net, X, T, options, result) result(status)
    type(mlpf_net), intent(in) :: net
    real(c_float), intent(in), target :: X(:, :), T(:, :)
    type(mlp_fit_options), intent(in), optional, target :: options
    type(mlp_fit_result), intent(inout), optional, target :: result
    integer(c_int) :: status
    integer(c_size_t) :: n, n0, nl
    type(c_ptr) :: options_ptr, result_ptr
    n = size(X, 2, c_size_t)
    n0 = n_in_f(net%ptr)
    nl = n_out_f(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, n) .and. fits(T, nl, n))) return
    options_ptr = c_null_ptr
    result_ptr = c_null_ptr
    if (present(options)) options_ptr = c_loc(options)
    if (present(result)) result_ptr = c_loc(result)
    status = cf_fit(net%ptr, n, address2(X), address2(T), options_ptr, result_ptr)
  end function mlp_fit_f

  function mlp_save_f(net, path) result(status)
    type(mlpf_net), intent(in) :: net
    character(*), intent(in) :: path
    integer(c_int) :: status
    status = cf_save(net%ptr, to_c_string(path))
  end function mlp_save_f

  function mlp_load_f(net, path) result(status)
    type(mlpf_net), intent(inout) :: net
    character(*), intent(in) :: path
    integer(c_int) :: status
    call final_net_f(net)
    status = cf_load(net%ptr, to_c_string(path))
  end function mlp_load_f

  ! data: the bytes of a model file.
  function mlp_load_buffer_f(net, data) result(status)
    type(mlpf_net), intent(inout) :: net
    integer(c_int8_t), intent(in), target :: data(:)
    integer(c_int) :: status
    type(c_ptr) :: p
    call final_net_f(net)
    status = MLP_ERR_ARG
    if (.not. is_contiguous(data)) return
    p = c_null_ptr
    if (size(data) > 0) p = c_loc(data(1))
    status = cf_load_buffer(net%ptr, p, size(data, 1, c_size_t))
  end function mlp_load_buffer_f

  ! The exact size in bytes of net's model file (0 for no network).
  pure integer(c_size_t) function mlp_saved_size_f(net)
    type(mlpf_net), intent(in) :: net
    mlp_saved_size_f = cf_saved_size(net%ptr)
  end function mlp_saved_size_f

  ! Writes net's model file into data(1 : mlp_saved_size(net)); data may be
  ! larger. MLP_ERR_ARG (data untouched) if it is smaller.
  function mlp_save_buffer_f(net, data) result(status)
    type(mlpf_net), intent(in) :: net
    integer(c_int8_t), intent(inout), target :: data(:)
    integer(c_int) :: status
    type(c_ptr) :: p
    status = MLP_ERR_ARG
    if (.not. is_contiguous(data)) return
    p = c_null_ptr
    if (size(data) > 0) p = c_loc(data(1))
    status = cf_save_buffer(net%ptr, p, size(data, 1, c_size_t))
  end function mlp_save_buffer_f

  function mlp_workspace_create_f(ws, net, max_batch) result(status)
    type(mlpf_workspace), intent(inout) :: ws
    type(mlpf_net), intent(in) :: net
    integer, intent(in) :: max_batch
    integer(c_int) :: status
    call final_workspace_f(ws)
    status = MLP_ERR_ARG
    if (max_batch < 1) return
    status = cf_workspace_create(ws%ptr, net%ptr, int(max_batch, c_size_t))
  end function mlp_workspace_create_f

  subroutine mlp_workspace_free_f(ws)
    type(mlpf_workspace), intent(inout) :: ws
    call final_workspace_f(ws)
  end subroutine mlp_workspace_free_f

  function mlp_predict_ws_f(net, ws, X, Y) result(status)
    type(mlpf_net), intent(in) :: net
    type(mlpf_workspace), intent(in) :: ws
    real(c_float), intent(in), target :: X(:, :)
    real(c_float), intent(inout), target :: Y(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    batch = size(X, 2, c_size_t)
    n0 = n_in_f(net%ptr)
    nl = n_out_f(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(Y, nl, batch))) return
    status = cf_predict_ws(net%ptr, ws%ptr, batch, address2(X), address2(Y))
  end function mlp_predict_ws_f

  ! J(n_0, n_L, batch): C's batch x n_L x n_0.
  function mlp_jacobian_f(net, ws, X, J) result(status)
    type(mlpf_net), intent(in) :: net
    type(mlpf_workspace), intent(in) :: ws
    real(c_float), intent(in), target :: X(:, :)
    real(c_float), intent(inout), target :: J(:, :, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    type(c_ptr) :: j_ptr
    batch = size(X, 2, c_size_t)
    n0 = n_in_f(net%ptr)
    nl = n_out_f(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. is_contiguous(J))) return
    if (any(shape(J, c_size_t) /= [n0, nl, batch])) return
    j_ptr = c_null_ptr
    if (size(J) > 0) j_ptr = c_loc(J(1, 1, 1))
    status = cf_jacobian(net%ptr, ws%ptr, batch, address2(X), j_ptr)
  end function mlp_jacobian_f

  ! V(n_L, batch) in, G(n_0, batch) out.
  function mlp_vjp_f(net, ws, X, V, G) result(status)
    type(mlpf_net), intent(in) :: net
    type(mlpf_workspace), intent(in) :: ws
    real(c_float), intent(in), target :: X(:, :), V(:, :)
    real(c_float), intent(inout), target :: G(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    batch = size(X, 2, c_size_t)
    n0 = n_in_f(net%ptr)
    nl = n_out_f(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(V, nl, batch) .and. &
        fits(G, n0, batch))) return
    status = cf_vjp(net%ptr, ws%ptr, batch, address2(X), address2(V), address2(G))
  end function mlp_vjp_f

  ! D(n_0, batch) in, U(n_L, batch) out.
  function mlp_jvp_f(net, ws, X, D, U) result(status)
    type(mlpf_net), intent(in) :: net
    type(mlpf_workspace), intent(in) :: ws
    real(c_float), intent(in), target :: X(:, :), D(:, :)
    real(c_float), intent(inout), target :: U(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    batch = size(X, 2, c_size_t)
    n0 = n_in_f(net%ptr)
    nl = n_out_f(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(D, n0, batch) .and. &
        fits(U, nl, batch))) return
    status = cf_jvp(net%ptr, ws%ptr, batch, address2(X), address2(D), address2(U))
  end function mlp_jvp_f

end module mlp
